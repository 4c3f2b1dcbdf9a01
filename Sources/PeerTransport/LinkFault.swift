import BinaryCoding

/// What happens to the messages this node sends over a link: each one is held back
/// `delayMs` ± up to `jitterMs` (never below zero), lost with probability `loss`, sent
/// twice with probability `duplicate`, and with probability `reorder` held back a little
/// longer so the messages after it overtake it.
public struct LinkFault: Sendable, Equatable, Codable {
    public var delayMs: Int
    public var jitterMs: Int
    public var loss: Double
    public var duplicate: Double
    public var reorder: Double

    public init(delayMs: Int = 0, jitterMs: Int = 0, loss: Double = 0, duplicate: Double = 0, reorder: Double = 0) {
        self.delayMs = delayMs
        self.jitterMs = jitterMs
        self.loss = loss
        self.duplicate = duplicate
        self.reorder = reorder
    }

    /// Nothing is done to the link's messages.
    public var isClean: Bool { delayMs == 0 && jitterMs == 0 && loss == 0 && duplicate == 0 && reorder == 0 }

    /// This fault and `other` on the same link: delays and jitters add up, and the
    /// probabilities combine as independent chances.
    public func adding(_ other: LinkFault) -> LinkFault {
        func either(_ a: Double, _ b: Double) -> Double { 1 - (1 - a) * (1 - b) }
        return LinkFault(delayMs: delayMs + other.delayMs, jitterMs: jitterMs + other.jitterMs,
                         loss: either(loss, other.loss), duplicate: either(duplicate, other.duplicate),
                         reorder: either(reorder, other.reorder))
    }

    /// The fault with times at 0 or more and probabilities in [0, 1].
    public var clamped: LinkFault {
        func probability(_ p: Double) -> Double { p.isNaN ? 0 : Swift.min(1, Swift.max(0, p)) }
        return LinkFault(delayMs: Swift.max(0, delayMs), jitterMs: Swift.max(0, jitterMs),
                         loss: probability(loss), duplicate: probability(duplicate), reorder: probability(reorder))
    }

    /// Milliseconds to hold one message back: the delay, plus or minus a uniform jitter, plus
    /// an extra 5 to 25 ms (plus the delay again) when the message is picked for reordering.
    func holdMs(using rng: inout SplitMix64) -> Int {
        var ms = delayMs
        if jitterMs > 0 { ms += rng.below(2 * jitterMs + 1) - jitterMs }
        if rng.chance(reorder) { ms += 5 + rng.below(21 + delayMs) }
        return Swift.max(0, ms)
    }

    enum CodingKeys: String, CodingKey {
        case delayMs, jitterMs, loss, duplicate, reorder
    }

    /// Missing keys are 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(delayMs: try c.decodeIfPresent(Int.self, forKey: .delayMs) ?? 0,
                  jitterMs: try c.decodeIfPresent(Int.self, forKey: .jitterMs) ?? 0,
                  loss: try c.decodeIfPresent(Double.self, forKey: .loss) ?? 0,
                  duplicate: try c.decodeIfPresent(Double.self, forKey: .duplicate) ?? 0,
                  reorder: try c.decodeIfPresent(Double.self, forKey: .reorder) ?? 0)
    }
}

extension LinkFault: CustomStringConvertible {
    /// `delay 100ms±20, loss 10%`.
    public var description: String {
        var parts: [String] = []
        if delayMs > 0 || jitterMs > 0 { parts.append("delay \(delayMs)ms" + (jitterMs > 0 ? "±\(jitterMs)" : "")) }
        if loss > 0 { parts.append("loss \(loss.percentText)") }
        if duplicate > 0 { parts.append("duplicate \(duplicate.percentText)") }
        if reorder > 0 { parts.append("reorder \(reorder.percentText)") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
