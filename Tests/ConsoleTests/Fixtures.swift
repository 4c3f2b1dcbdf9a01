import FlotillaAPI
import Foundation
import Orchestrator
@testable import Console

let t0 = Date(timeIntervalSince1970: 1_800_000_000)

func member(_ id: String, voter: Bool = true) -> MemberInfo {
    MemberInfo(id: id, raftAddress: "127.0.0.1:71\(id.dropFirst())", adminAddress: "127.0.0.1:81\(id.dropFirst())", voter: voter)
}

/// A node's status as a fixture: `ids` are the members, the first `voters` of them voters.
func nodeStatus(_ id: String, role: NodeRole, term: UInt64 = 7, leader: String? = "n1", commit: UInt64 = 120, applied: UInt64? = nil,
                ids: [String], voters: Int? = nil, peers: [PeerInfo] = [], drop: [String] = []) -> NodeStatus {
    let v = voters ?? ids.count
    return NodeStatus(id: id, clusterID: "c", role: role, term: term, leader: leader, vote: nil, commit: commit, applied: applied ?? commit,
                      lastIndex: commit, snapshotIndex: 0, commitHash: "ab", members: ids.enumerated().map { member($1, voter: $0 < v) },
                      peers: peers, tasks: TaskCounts(byState: [.succeeded: 4], queued: 1), faults: FaultSpec(drop: drop),
                      raftAddress: "127.0.0.1:71\(id.dropFirst())", adminAddress: "127.0.0.1:81\(id.dropFirst())", uptimeMs: 65_000)
}

/// n1 leads; n2 follows; n3 is down; n4 is a learner catching up; n5 is cut off by a partition.
func mixedSnapshot() -> ClusterSnapshot {
    let ids = ["n1", "n2", "n3", "n4", "n5"]
    let peers = [
        PeerInfo(id: "n2", match: 120, next: 121, progress: "replicate", status: "healthy", lastContactMs: 10),
        PeerInfo(id: "n3", match: 90, next: 91, progress: "probe", status: "unreachable", lastContactMs: 9000),
        PeerInfo(id: "n4", match: 60, next: 61, progress: "snapshot", status: "catching-up", lastContactMs: 20, snapshotSent: 62, snapshotTotal: 100),
        PeerInfo(id: "n5", match: 100, next: 101, progress: "probe", status: "unreachable", lastContactMs: 3000),
    ]
    let nodes = [
        NodeObservation(id: "n1", adminAddress: "127.0.0.1:811", status: nodeStatus("n1", role: .leader, ids: ids, voters: 3, peers: peers, drop: ["n5"]), up: true, lastSeen: t0),
        NodeObservation(id: "n2", adminAddress: "127.0.0.1:812", status: nodeStatus("n2", role: .follower, ids: ids, voters: 3, drop: ["n5"]), up: true, lastSeen: t0),
        NodeObservation(id: "n3", adminAddress: "127.0.0.1:813", status: nodeStatus("n3", role: .follower, term: 6, commit: 90, ids: ids, voters: 3),
                        up: false, lastSeen: t0.addingTimeInterval(-4), process: .stopped),
        NodeObservation(id: "n4", adminAddress: "127.0.0.1:814", status: nodeStatus("n4", role: .learner, commit: 60, ids: ids, voters: 3, drop: ["n5"]), up: true, lastSeen: t0),
        NodeObservation(id: "n5", adminAddress: "127.0.0.1:815", status: nodeStatus("n5", role: .preCandidate, leader: nil, commit: 100, ids: ids, voters: 3, drop: ["n1", "n2", "n4"]), up: true, lastSeen: t0),
    ]
    return ClusterSnapshot(seq: 1, takenAt: t0, nodes: nodes)
}

/// `mixedSnapshot` with faults injected: n1's messages to n2 are delayed 100ms±20 and 10% lost
/// (`delay n1->n2 100ms 20ms`, `loss n1->n2 10%`), n2<->n4 reorders 20%, n2's disk is slow by
/// 50 ms and n4's clock runs 3x.
func faultySnapshot() -> ClusterSnapshot {
    var s = mixedSnapshot()
    func edit(_ id: String, _ change: (inout FaultSpec) -> Void) {
        let i = s.nodes.firstIndex { $0.id == id }!
        change(&s.nodes[i].status!.faults)
    }
    edit("n1") { $0.links["n2"] = LinkFaultSpec(delayMs: 100, jitterMs: 20, loss: 0.1) }
    edit("n2") { $0.links["n4"] = LinkFaultSpec(reorder: 0.2); $0.fsyncDelayMs = 50 }
    edit("n4") { $0.links["n2"] = LinkFaultSpec(reorder: 0.2); $0.clockRate = 3 }
    return s
}

func model(_ s: ClusterSnapshot) -> ConsoleModel {
    var m = ConsoleModel(snapshot: s)
    m.now = t0
    return m
}

/// What the command-line tests parse against: the mixed snapshot with n2 selected.
protocol ParsesCommandLines {}

extension ParsesCommandLines {
    var m: ConsoleModel {
        var m = model(mixedSnapshot())
        m.selected = 1
        return m
    }

    func parse(_ line: String) -> ConsoleAction? { try? CommandLineParser.parse(line, model: m).get() }
    func error(_ line: String) -> String { error(in: m, line) }
    func error(in model: ConsoleModel, _ line: String) -> String {
        if case .failure(let e) = CommandLineParser.parse(line, model: model) { return e.description }
        return "accepted"
    }
}
