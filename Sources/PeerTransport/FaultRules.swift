/// The fault filter's rules for one node: which peers' traffic to drop, in which direction,
/// plus random loss and a fixed delay on everything this node sends. A partition A|B is
/// every node dropping traffic from the other side.
public struct FaultRules: Sendable, Equatable, Codable {
    /// Which way `drop` applies, as seen from this node.
    public enum Direction: String, Sendable, Equatable, Codable, CaseIterable {
        /// Drop messages to and from the listed peers.
        case both
        /// Drop only messages from the listed peers.
        case `in`
        /// Drop only messages to the listed peers.
        case out
    }

    public var drop: Set<String>
    public var direction: Direction
    /// Delay added to every outbound message, in milliseconds.
    public var delayMs: Int
    /// Probability in [0, 1] that an outbound message is dropped.
    public var loss: Double

    public init(drop: Set<String> = [], direction: Direction = .both, delayMs: Int = 0, loss: Double = 0) {
        self.drop = drop
        self.direction = direction
        self.delayMs = delayMs
        self.loss = loss
    }

    /// No rule is active: traffic flows untouched.
    public var isClean: Bool { drop.isEmpty && delayMs == 0 && loss == 0 }

    /// True when messages this node sends to `peer` are dropped.
    public func dropsOutbound(to peer: String) -> Bool {
        direction != .in && drop.contains(peer)
    }

    /// True when messages this node receives from `peer` are dropped.
    public func dropsInbound(from peer: String) -> Bool {
        direction != .out && drop.contains(peer)
    }

    /// The rules with `delayMs` and `loss` forced into their valid ranges.
    public var clamped: FaultRules {
        var r = self
        r.delayMs = Swift.max(0, delayMs)
        r.loss = loss.isNaN ? 0 : Swift.min(1, Swift.max(0, loss))
        return r
    }

    enum CodingKeys: String, CodingKey {
        case drop, direction, delayMs, loss
    }

    /// Missing keys take their defaults, so `{"drop": ["n3"]}` is a complete rule set.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        drop = try c.decodeIfPresent(Set<String>.self, forKey: .drop) ?? []
        direction = try c.decodeIfPresent(Direction.self, forKey: .direction) ?? .both
        delayMs = try c.decodeIfPresent(Int.self, forKey: .delayMs) ?? 0
        loss = try c.decodeIfPresent(Double.self, forKey: .loss) ?? 0
        guard delayMs >= 0 else {
            throw Swift.DecodingError.dataCorruptedError(forKey: .delayMs, in: c, debugDescription: "delayMs must be 0 or more")
        }
        guard (0...1).contains(loss) else {
            throw Swift.DecodingError.dataCorruptedError(forKey: .loss, in: c, debugDescription: "loss must be between 0 and 1")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(drop.sorted(), forKey: .drop)
        try c.encode(direction, forKey: .direction)
        try c.encode(delayMs, forKey: .delayMs)
        try c.encode(loss, forKey: .loss)
    }
}

extension FaultRules: CustomStringConvertible {
    public var description: String {
        if isClean { return "none" }
        var parts: [String] = []
        if !drop.isEmpty { parts.append("drop \(direction.rawValue) \(drop.sorted().joined(separator: ","))") }
        if loss > 0 { parts.append("loss \(loss)") }
        if delayMs > 0 { parts.append("delay \(delayMs)ms") }
        return parts.joined(separator: ", ")
    }
}
