import Foundation

/// One rule of the run's nftables table: frames from one member to another are dropped, all of
/// them (a cut, `percent` 100) or a share chosen at random per frame (loss).
public struct LinkRule: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public var from: String
    public var to: String
    /// The share of frames dropped, 1 to 100.
    public var percent: Int

    public init(from: String, to: String, percent: Int = 100) {
        self.from = from
        self.to = to
        self.percent = percent
    }

    public var isCut: Bool { percent >= 100 }

    public var description: String { isCut ? "cut \(from)->\(to)" : "loss \(from)->\(to) \(percent)%" }

    /// The comment the rule carries in the table, read back to know which rule a line is.
    var comment: String { "flotilla \(from)->\(to) \(percent)" }

    /// The rule as `nft` lists it (matching the frame by its IPv4 source and destination).
    func statement(fromAddress: String, toAddress: String) -> String {
        let match = "ip saddr \(fromAddress) ip daddr \(toAddress)"
        let verdict = isCut ? "drop" : "numgen random mod 100 < \(percent) drop"
        return "\(match) \(verdict) comment \"\(comment)\""
    }

    /// The rule a listed line's comment names, if it is one of ours.
    static func parse(comment line: Substring) -> LinkRule? {
        guard let start = line.range(of: "comment \"flotilla ") else { return nil }
        let words = line[start.upperBound...].prefix { $0 != "\"" }.split(separator: " ")
        guard words.count == 2, let percent = Int(words[1]) else { return nil }
        let ends = words[0].split(separator: ">")
        guard ends.count == 2, ends[0].hasSuffix("-") else { return nil }
        return LinkRule(from: String(ends[0].dropLast()), to: String(ends[1]), percent: percent)
    }

    public static func < (a: LinkRule, b: LinkRule) -> Bool { (a.from, a.to, a.percent) < (b.from, b.to, b.percent) }
}
