import Foundation

/// The shape a partition cuts the network into. Shapes that depend on the cluster (the leader,
/// the quorum) are resolved when the command runs (`PartitionPlan`), so a replay cuts the same
/// shape of whatever cluster it runs on.
public enum PartitionShape: Sendable, Hashable, Codable {
    /// Groups that reach only their own members; nodes named nowhere form one more group.
    case groups(sides: [[String]])
    /// One way: `from`'s traffic to `to` is dropped, theirs to `from` flows.
    case oneWay(from: [String], to: [String])
    /// One node, or `leader` (whichever leads when it runs), cut off from every other.
    case isolate(node: String)
    /// The largest minority that still leaves a quorum behind, the leader in it.
    case minority
    /// Each node reaches its neighbours on a ring, so every node sees a different majority (5+ nodes).
    case majoritiesRing
    /// Two halves joined only through one follower.
    case bridge

    /// The shape words, for completion: `leader` is `isolate leader`.
    public static let named = ["leader", "minority", "majorities-ring", "bridge"]

    /// What a refusal says the text should look like.
    public static let form = "groups like n1,n2|n3, one way like n1->n2,n3, or leader, minority, majorities-ring, bridge"

    /// Reads the text as operators type it, or refuses it saying what it should look like.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch t {
        case "": throw AmountError("the partition names no node; expected \(Self.form)")
        case "leader": self = .isolate(node: "leader"); return
        case "minority": self = .minority; return
        case "majorities-ring", "ring": self = .majoritiesRing; return
        case "bridge": self = .bridge; return
        default: break
        }
        func side(_ s: String) throws -> [String] {
            let ids = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !ids.isEmpty else { throw AmountError("a partition group is empty, got '\(text)'") }
            for id in ids where !NodeTarget.isNodeID(id) { throw AmountError.expected(Self.form, got: text) }
            return ids
        }
        if t.contains("->") {
            let sides = t.components(separatedBy: "->")
            guard sides.count == 2 else { throw AmountError("a one-way partition is FROM->TO, e.g. n1->n2,n3, got '\(text)'") }
            self = .oneWay(from: try side(sides[0]), to: try side(sides[1]))
            return
        }
        var groups: [[String]] = []
        for s in t.split(separator: "|", omittingEmptySubsequences: false) { groups.append(try side(String(s))) }
        self = .groups(sides: groups)
    }

    /// The spec as `PartitionPlan.parse` and the `partition` verb take it.
    public var spec: String {
        switch self {
        case .groups(let sides): sides.map { $0.joined(separator: ",") }.joined(separator: "|")
        case .oneWay(let from, let to): from.joined(separator: ",") + "->" + to.joined(separator: ",")
        case .isolate(let node): node
        case .minority: "minority"
        case .majoritiesRing: "majorities-ring"
        case .bridge: "bridge"
        }
    }

    /// Every node id it names.
    public var nodes: [String] {
        switch self {
        case .groups(let sides): sides.flatMap { $0 }
        case .oneWay(let from, let to): from + to
        case .isolate(let node): node == "leader" ? [] : [node]
        case .minority, .majoritiesRing, .bridge: []
        }
    }
}
