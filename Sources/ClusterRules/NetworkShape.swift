/// One direction of one link between two nodes.
public struct DirectedLink: Hashable, Sendable, CustomStringConvertible {
    public var from: String
    public var to: String

    public init(_ from: String, _ to: String) {
        self.from = from
        self.to = to
    }

    public var description: String { "\(from)->\(to)" }
}

/// The network shapes both the simulator and the orchestrator cut a cluster into, as sets of
/// cut directed links. Pure: which nodes go where is the caller's choice; what a shape cuts is here.
public enum NetworkShape {
    /// Cuts every link between nodes of different groups, both ways; with `oneWay`, only
    /// what the first group sends to the others.
    public static func cuts(between groups: [[String]], oneWay: Bool = false) -> [DirectedLink] {
        var cuts: [DirectedLink] = []
        for (i, a) in groups.enumerated() {
            for (j, b) in groups.enumerated() where i != j && (!oneWay || i == 0) {
                for x in a { for y in b { cuts.append(DirectedLink(x, y)) } }
            }
        }
        return cuts
    }

    /// How many neighbours on each side a node of an `n`-node ring keeps, so that it and they
    /// make a bare majority.
    public static func ringReach(_ n: Int) -> Int { (n / 2 + 1) / 2 }

    /// Each node hears only its nearest neighbours on a ring, just enough for a majority: every
    /// node sees a majority, and no two see the same one. Needs 4 nodes or more to cut anything.
    public static func majoritiesRing(_ nodes: [String]) -> [DirectedLink] {
        let n = nodes.count
        guard n >= 4 else { return [] }
        let reach = ringReach(n)
        var cuts: [DirectedLink] = []
        for i in 0..<n {
            for j in 0..<n where i != j {
                let d = abs(i - j)
                if min(d, n - d) > reach { cuts.append(DirectedLink(nodes[i], nodes[j])) }
            }
        }
        return cuts
    }

    /// Two halves that reach each other only through `bridge`, which hears both.
    public static func bridge(_ a: [String], _ b: [String]) -> [DirectedLink] {
        cuts(between: [a, b])
    }

    /// What each node must drop to make `cuts`: every cut is enforced by its sender, and a node
    /// whose cuts run both ways with the same peers drops them both ways.
    public static func drops(_ cuts: [DirectedLink]) -> [String: NodeDrops] {
        var out: [String: NodeDrops] = [:]
        for c in cuts {
            out[c.from, default: NodeDrops()].sendingTo.insert(c.to)
            out[c.to, default: NodeDrops()].hearingFrom.insert(c.from)
        }
        return out.filter { !$0.value.sendingTo.isEmpty }
    }
}

/// The peers one node must stop sending to, and those it no longer hears from.
public struct NodeDrops: Equatable, Sendable {
    public var sendingTo: Set<String>
    public var hearingFrom: Set<String>

    public init(sendingTo: Set<String> = [], hearingFrom: Set<String> = []) {
        self.sendingTo = sendingTo
        self.hearingFrom = hearingFrom
    }

    /// Whether the node's cuts are symmetric (the same peers, both ways).
    public var bothWays: Bool { sendingTo == hearingFrom }
}
