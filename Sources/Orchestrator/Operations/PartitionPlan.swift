import ClusterRules
import Foundation
import FlotillaAPI

/// The fault rules that make a network shape: for every node, the peers it drops.
/// Nodes without a rule are healed. Pure, so every shape is checked without a cluster.
public struct PartitionPlan: Sendable, Equatable {
    /// How the shape reads, e.g. `{n1,n2} | {n3}`.
    public var description: String
    public var rules: [String: FaultSpec]

    public init(description: String, rules: [String: FaultSpec]) {
        self.description = description
        self.rules = rules
    }

    /// Splits `members` into `groups`; nodes named in no group form one more group.
    /// With `oneWay`, only traffic from the first group to the others is dropped.
    public static func groups(_ named: [[String]], members: [String], oneWay: Bool = false) throws -> PartitionPlan {
        var seen = Set<String>()
        for g in named {
            if g.isEmpty { throw OrchestratorError("a partition group is empty") }
            for id in g {
                guard members.contains(id) else {
                    throw OrchestratorError("unknown node \(id); the members are \(members.joined(separator: ", "))")
                }
                guard seen.insert(id).inserted else { throw OrchestratorError("node \(id) is named twice in the partition") }
            }
        }
        if named.isEmpty { throw OrchestratorError("the partition names no node") }
        var groups = named
        let rest = members.filter { !seen.contains($0) }
        if !rest.isEmpty { groups.append(rest) }
        guard groups.count >= 2 else { throw OrchestratorError("a partition needs at least two sides; every node is in one group") }
        let text = groups.map { "{\($0.joined(separator: ","))}" }.joined(separator: oneWay ? " -/-> " : " | ")
        return PartitionPlan(description: text, cuts: NetworkShape.cuts(between: groups, oneWay: oneWay), members: members)
    }

    /// The plan that makes `cuts`: each node drops what it must not send (and, where its cuts
    /// run both ways with the same peers, what it must not hear), peers in member order.
    init(description: String, cuts: [DirectedLink], members: [String]) {
        var rules: [String: FaultSpec] = [:]
        for (id, d) in NetworkShape.drops(cuts) {
            rules[id] = FaultSpec(drop: members.filter(d.sendingTo.contains), direction: d.bothWays ? .both : .out)
        }
        self.init(description: description, rules: rules)
    }

    /// `n1,n2|n3` (or `n1,n2->n3` one way), or a shape name: leader, minority, majorities-ring, bridge.
    public static func parse(_ text: String, members: [String], leader: String?) throws -> PartitionPlan {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch t {
        case "": throw OrchestratorError("the partition names no node")
        case "leader":
            guard let leader else { throw OrchestratorError("there is no leader to isolate") }
            return try groups([[leader]], members: members)
        case "minority": return try minority(members: members, leader: leader)
        case "majorities-ring", "ring": return try majoritiesRing(members: members)
        case "bridge": return try bridge(members: members, leader: leader)
        default: break
        }
        let oneWay = t.contains("->")
        let sides = oneWay ? t.components(separatedBy: "->") : t.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        if oneWay, sides.count != 2 { throw OrchestratorError("a one-way partition is FROM->TO, e.g. n1->n2,n3") }
        let named = sides.map { side in
            side.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return try groups(named, members: members, oneWay: oneWay)
    }

    /// Cuts the largest minority that still leaves a quorum behind, with the leader in it.
    public static func minority(members: [String], leader: String?) throws -> PartitionPlan {
        guard members.count >= 2 else { throw OrchestratorError("a partition needs at least two nodes") }
        let size = (members.count - 1) / 2
        guard size >= 1 else { throw OrchestratorError("\(members.count) nodes have no minority to cut off") }
        var side = leader.map { [$0] } ?? []
        for id in members where side.count < size && !side.contains(id) { side.append(id) }
        return try groups([side], members: members)
    }

    /// Each node reaches its neighbours on a ring, so every node sees a different majority.
    public static func majoritiesRing(members: [String]) throws -> PartitionPlan {
        let n = members.count
        guard n >= 5 else { throw OrchestratorError("a majorities ring needs at least 5 nodes (have \(n)); with fewer every node sees every other") }
        return PartitionPlan(description: "majorities ring over \(members.joined(separator: ","))",
                             cuts: NetworkShape.majoritiesRing(members), members: members)
    }

    /// Two halves that reach each other only through one follower in the middle.
    public static func bridge(members: [String], leader: String?) throws -> PartitionPlan {
        guard members.count >= 3 else { throw OrchestratorError("a bridge needs at least 3 nodes") }
        let others = members.filter { $0 != leader }
        let middle = others.last!
        var rest = members.filter { $0 != middle }
        // The leader goes first, so it sits in the first half.
        if let leader, let i = rest.firstIndex(of: leader) { rest.swapAt(0, i) }
        let a = Array(rest.prefix(rest.count / 2 + rest.count % 2))
        let b = Array(rest.suffix(rest.count / 2))
        return PartitionPlan(description: "{\(a.joined(separator: ","))} | {\(b.joined(separator: ","))} bridged by \(middle)",
                             cuts: NetworkShape.bridge(a, b), members: members)
    }
}
