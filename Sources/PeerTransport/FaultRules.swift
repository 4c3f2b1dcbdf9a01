/// The fault filter's rules for one node: which peers' traffic to drop, in which direction,
/// plus what to do to the messages this node sends: a fault on every link (`delayMs`,
/// `jitterMs`, `loss`, `duplicate`, `reorder`) and one per peer in `links`, added on top.
/// A partition A|B is every node dropping traffic from the other side.
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
    /// Up to this many milliseconds more or less than `delayMs`, drawn per message.
    public var jitterMs: Int
    /// Probability in [0, 1] that an outbound message is sent twice.
    public var duplicate: Double
    /// Probability in [0, 1] that an outbound message is held back behind the next ones.
    public var reorder: Double
    /// Faults on the messages to one peer, on top of the ones on every link.
    public var links: [String: LinkFault]

    public init(drop: Set<String> = [], direction: Direction = .both, delayMs: Int = 0, loss: Double = 0,
                jitterMs: Int = 0, duplicate: Double = 0, reorder: Double = 0, links: [String: LinkFault] = [:]) {
        self.drop = drop
        self.direction = direction
        self.delayMs = delayMs
        self.loss = loss
        self.jitterMs = jitterMs
        self.duplicate = duplicate
        self.reorder = reorder
        self.links = links
    }

    /// The fault on every link this node sends over.
    public var everyLink: LinkFault {
        LinkFault(delayMs: delayMs, jitterMs: jitterMs, loss: loss, duplicate: duplicate, reorder: reorder)
    }

    /// What happens to the messages this node sends to `peer` (unless `drop` stops them).
    public func outbound(to peer: String) -> LinkFault {
        guard let link = links[peer] else { return everyLink }
        return everyLink.adding(link)
    }

    /// No rule is active: traffic flows untouched.
    public var isClean: Bool { drop.isEmpty && everyLink.isClean && links.values.allSatisfy(\.isClean) }

    /// True when messages this node sends to `peer` are dropped.
    public func dropsOutbound(to peer: String) -> Bool {
        direction != .in && drop.contains(peer)
    }

    /// True when messages this node receives from `peer` are dropped.
    public func dropsInbound(from peer: String) -> Bool {
        direction != .out && drop.contains(peer)
    }

    /// The rules with times forced to 0 or more, probabilities into [0, 1], and clean links left out.
    public var clamped: FaultRules {
        var r = self
        let every = everyLink.clamped
        r.delayMs = every.delayMs
        r.jitterMs = every.jitterMs
        r.loss = every.loss
        r.duplicate = every.duplicate
        r.reorder = every.reorder
        r.links = links.mapValues(\.clamped).filter { !$0.value.isClean }
        return r
    }

    enum CodingKeys: String, CodingKey {
        case drop, direction, delayMs, loss, jitterMs, duplicate, reorder, links
    }

    /// Missing keys take their defaults, so `{"drop": ["n3"]}` is a complete rule set.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        drop = try c.decodeIfPresent(Set<String>.self, forKey: .drop) ?? []
        direction = try c.decodeIfPresent(Direction.self, forKey: .direction) ?? .both
        delayMs = try c.decodeIfPresent(Int.self, forKey: .delayMs) ?? 0
        loss = try c.decodeIfPresent(Double.self, forKey: .loss) ?? 0
        jitterMs = try c.decodeIfPresent(Int.self, forKey: .jitterMs) ?? 0
        duplicate = try c.decodeIfPresent(Double.self, forKey: .duplicate) ?? 0
        reorder = try c.decodeIfPresent(Double.self, forKey: .reorder) ?? 0
        links = try c.decodeIfPresent([String: LinkFault].self, forKey: .links) ?? [:]
        guard delayMs >= 0 else {
            throw Swift.DecodingError.dataCorruptedError(forKey: .delayMs, in: c, debugDescription: "delayMs must be 0 or more")
        }
        guard (0...1).contains(loss) else {
            throw Swift.DecodingError.dataCorruptedError(forKey: .loss, in: c, debugDescription: "loss must be between 0 and 1")
        }
        guard everyLink.clamped == everyLink, links.values.allSatisfy({ $0.clamped == $0 }) else {
            throw Swift.DecodingError.dataCorruptedError(forKey: .links, in: c,
                                                         debugDescription: "times must be 0 or more and probabilities between 0 and 1")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(drop.sorted(), forKey: .drop)
        try c.encode(direction, forKey: .direction)
        try c.encode(delayMs, forKey: .delayMs)
        try c.encode(loss, forKey: .loss)
        try c.encode(jitterMs, forKey: .jitterMs)
        try c.encode(duplicate, forKey: .duplicate)
        try c.encode(reorder, forKey: .reorder)
        try c.encode(links, forKey: .links)
    }
}

extension FaultRules: CustomStringConvertible {
    public var description: String {
        if isClean { return "none" }
        var parts: [String] = []
        if !drop.isEmpty { parts.append("drop \(direction.rawValue) \(drop.sorted().joined(separator: ","))") }
        if loss > 0 { parts.append("loss \(loss.percentText)") }
        if delayMs > 0 || jitterMs > 0 { parts.append("delay \(delayMs)ms" + (jitterMs > 0 ? "±\(jitterMs)" : "")) }
        if duplicate > 0 { parts.append("duplicate \(duplicate.percentText)") }
        if reorder > 0 { parts.append("reorder \(reorder.percentText)") }
        for (peer, link) in links.sorted(by: { $0.key < $1.key }) where !link.isClean {
            parts.append("->\(peer) \(link)")
        }
        return parts.joined(separator: ", ")
    }
}
