import BinaryCoding
import RaftCore

/// The faults a simulation injects, one at a time.
enum Fault: Sendable, CaseIterable {
    case randomHalves
    case isolateOne
    case isolateLeader
    case majorityRing
    case bridge
    case oneWay
    case crash
    case crashLeader
    /// Crash a node and restart it a few ticks later: what is not synced is lost, in the middle of things.
    case bounce
    /// A node's disk fills up: its writes fail with ENOSPC until the fault heals.
    case fullDisk
    /// The power fails in the middle of one of a node's next few disk operations.
    case powerCut
    case transfer
    case addLearner
    case promote
    case remove

    /// Faults that hold until healed, as opposed to one-off operations.
    var lasts: Bool {
        switch self {
        case .transfer, .addLearner, .promote, .remove, .bounce, .powerCut: false
        default: true
        }
    }
}

/// Network shapes over a set of nodes, as sets of cut directed links.
enum PartitionShape {
    /// Cuts every link between the two groups, both ways.
    static func groups(_ a: [NodeID], _ b: [NodeID]) -> [(NodeID, NodeID)] {
        var cuts: [(NodeID, NodeID)] = []
        for x in a {
            for y in b {
                cuts.append((x, y))
                cuts.append((y, x))
            }
        }
        return cuts
    }

    /// Each node hears only its two ring neighbours: with 5 nodes every node sees a
    /// majority, yet no two majorities are the same.
    static func majorityRing(_ nodes: [NodeID]) -> [(NodeID, NodeID)] {
        let n = nodes.count
        guard n > 3 else { return [] }
        var cuts: [(NodeID, NodeID)] = []
        for i in 0..<n {
            for j in 0..<n where i != j {
                let d = min((i - j + n) % n, (j - i + n) % n)
                if d > 1 { cuts.append((nodes[i], nodes[j])) }
            }
        }
        return cuts
    }

    /// Two halves that only `bridge` connects.
    static func bridge(_ nodes: [NodeID], bridge: NodeID) -> [(NodeID, NodeID)] {
        let rest = nodes.filter { $0 != bridge }
        let half = rest.count / 2
        return groups(Array(rest[..<half]), Array(rest[half...]))
    }
}
