import Foundation

/// One directed link's kernel delay on a namespace lab: every IPv4 packet `from` sends to `to`
/// is queued by the kernel (NFQUEUE) and held by the run's releaser for `delayMs` ± `jitterMs`
/// (uniform, per packet); `reorderPercent` of them wait one more hold (`reorderHoldMs`), so
/// later packets overtake them.
public struct DelayRule: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var from: String
    public var to: String
    public var delayMs: Int
    public var jitterMs: Int
    /// The share of packets held back behind later ones, 0 to 100.
    public var reorderPercent: Int

    public init(from: String, to: String, delayMs: Int = 0, jitterMs: Int = 0, reorderPercent: Int = 0) {
        self.from = from
        self.to = to
        self.delayMs = delayMs
        self.jitterMs = jitterMs
        self.reorderPercent = reorderPercent
    }

    /// Nothing is held: the link needs no rule.
    public var isClean: Bool { delayMs == 0 && jitterMs == 0 && reorderPercent == 0 }

    /// The extra hold of a reordered packet: one more delay, and at least 10 ms, so a reordered
    /// packet on an undelayed link is still overtaken by the ones sent just after it.
    public var reorderHoldMs: Int { max(delayMs, 10) }

    /// `delay n1->n2 100ms±20 reorder 25%`.
    public var description: String {
        var parts: [String] = []
        if delayMs > 0 || jitterMs > 0 { parts.append("delay \(from)->\(to) \(delayMs)ms" + (jitterMs > 0 ? "±\(jitterMs)" : "")) }
        if reorderPercent > 0 { parts.append((parts.isEmpty ? "reorder \(from)->\(to) " : "reorder ") + "\(reorderPercent)%") }
        return parts.joined(separator: " ")
    }

    /// The comment the queue rule carries in the kernel, read back to know the rule a line is.
    var comment: String { "flotilla delay \(from)->\(to) \(delayMs) \(jitterMs) \(reorderPercent)" }

    /// The rule a listed line's comment names (`… --comment "flotilla delay n1->n2 100 20 0" …`), if it is one of ours.
    public static func parse(comment line: Substring) -> DelayRule? {
        guard let start = line.range(of: "\"flotilla delay ") else { return nil }
        let words = line[start.upperBound...].prefix { $0 != "\"" }.split(separator: " ")
        guard words.count == 4, let delay = Int(words[1]), let jitter = Int(words[2]), let reorder = Int(words[3]) else { return nil }
        let ends = words[0].split(separator: ">")
        guard ends.count == 2, ends[0].hasSuffix("-") else { return nil }
        return DelayRule(from: String(ends[0].dropLast()), to: String(ends[1]), delayMs: delay, jitterMs: jitter, reorderPercent: reorder)
    }

    public static func < (a: DelayRule, b: DelayRule) -> Bool {
        (a.from, a.to, a.delayMs, a.jitterMs, a.reorderPercent) < (b.from, b.to, b.delayMs, b.jitterMs, b.reorderPercent)
    }
}
