/// What a node does to the Raft messages it sends over one link: each is held back `delayMs`
/// ± up to `jitterMs`, lost with probability `loss`, sent twice with probability `duplicate`,
/// and held back behind the next ones with probability `reorder`. Missing keys are 0.
public struct LinkFaultSpec: Codable, Sendable, Equatable {
    public var delayMs: Int
    public var jitterMs: Int
    public var loss: Double
    public var duplicate: Double
    public var reorder: Double

    /// The largest delay or jitter a node takes, in ms.
    public static let maxMs = 60_000

    public init(delayMs: Int = 0, jitterMs: Int = 0, loss: Double = 0, duplicate: Double = 0, reorder: Double = 0) {
        self.delayMs = delayMs
        self.jitterMs = jitterMs
        self.loss = loss
        self.duplicate = duplicate
        self.reorder = reorder
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(delayMs: try c.decodeIfPresent(Int.self, forKey: .delayMs) ?? 0,
                  jitterMs: try c.decodeIfPresent(Int.self, forKey: .jitterMs) ?? 0,
                  loss: try c.decodeIfPresent(Double.self, forKey: .loss) ?? 0,
                  duplicate: try c.decodeIfPresent(Double.self, forKey: .duplicate) ?? 0,
                  reorder: try c.decodeIfPresent(Double.self, forKey: .reorder) ?? 0)
    }

    public var isClean: Bool { delayMs == 0 && jitterMs == 0 && loss == 0 && duplicate == 0 && reorder == 0 }

    /// Why this fault cannot be applied, or nil; `prefix` names where it sits (`links.n2.`).
    public func problem(_ prefix: String = "") -> String? {
        for (name, ms) in [("delayMs", delayMs), ("jitterMs", jitterMs)] where !(0...Self.maxMs).contains(ms) {
            return "\(prefix)\(name) must be between 0 and \(Self.maxMs)"
        }
        for (name, p) in [("loss", loss), ("duplicate", duplicate), ("reorder", reorder)] where !(0...1).contains(p) {
            return "\(prefix)\(name) must be between 0 and 1"
        }
        return nil
    }

    /// A share as operators write it: 0.1 is `10%`, 0.125 is `12.5%`.
    public static func percent(_ p: Double) -> String {
        let v = p * 100
        return v == v.rounded() ? "\(Int(v))%" : "\((v * 10).rounded() / 10)%"
    }

    /// `delay 100ms±20 loss 10%`, or `none`.
    public var summary: String {
        let percent = Self.percent
        var parts: [String] = []
        if delayMs > 0 || jitterMs > 0 { parts.append("delay \(delayMs)ms" + (jitterMs > 0 ? "±\(jitterMs)" : "")) }
        if loss > 0 { parts.append("loss \(percent(loss))") }
        if duplicate > 0 { parts.append("duplicate \(percent(duplicate))") }
        if reorder > 0 { parts.append("reorder \(percent(reorder))") }
        return parts.isEmpty ? "none" : parts.joined(separator: " ")
    }
}
