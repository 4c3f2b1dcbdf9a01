import Foundation

/// The links a link fault lands on: `n1->n2` (n1's messages to n2), `n1<->n2` (both ways), `n3`
/// (every link out of and into n3) or `all`. Which nodes exist is checked when it runs
/// (`LinkSelection`); this is the spelling.
public enum LinkTarget: Sendable, Hashable, CustomStringConvertible {
    case all
    case node(String)
    case oneWay(from: String, to: String)
    case bothWays(String, String)

    /// What a refusal says the text should look like.
    public static let form = "links like n1->n2, n1<->n2, n3 or all"

    /// Reads the text as operators type it, or refuses it saying what it should look like.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "all" { self = .all; return }
        for (arrow, both) in [("<->", true), ("->", false)] where t.contains(arrow) {
            let ends = t.components(separatedBy: arrow)
            guard ends.count == 2, NodeTarget.isNodeID(ends[0]), NodeTarget.isNodeID(ends[1]) else { throw AmountError.expected(Self.form, got: text) }
            guard ends[0] != ends[1] else { throw AmountError("a link joins two different nodes, got '\(text)'") }
            self = both ? .bothWays(ends[0], ends[1]) : .oneWay(from: ends[0], to: ends[1])
            return
        }
        guard NodeTarget.isNodeID(t), t != "leader" else { throw AmountError.expected(Self.form, got: text) }
        self = .node(t)
    }

    /// The node ids it names.
    public var nodes: [String] {
        switch self {
        case .all: []
        case .node(let n): [n]
        case .oneWay(let a, let b), .bothWays(let a, let b): [a, b]
        }
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .node(let n): n
        case .oneWay(let a, let b): "\(a)->\(b)"
        case .bothWays(let a, let b): "\(a)<->\(b)"
        }
    }
}

extension LinkTarget: TypedWord {}
