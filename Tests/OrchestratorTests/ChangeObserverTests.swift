import FlotillaAPI
import Foundation
import Testing
@testable import Orchestrator

/// The changes an operator reads, taken from consecutive snapshots.
@Suite("Change observer")
struct ChangeObserverTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func status(_ id: String, role: NodeRole, term: UInt64, leader: String?, uptimeMs: UInt64 = 60_000,
                contact: UInt64? = nil, led: UInt64? = nil) -> NodeStatus {
        NodeStatus(id: id, clusterID: "c", role: role, term: term, leader: leader, vote: nil, commit: 5, applied: 5, lastIndex: 5,
                   snapshotIndex: 0, commitHash: "a", members: [MemberInfo(id: id, raftAddress: "", adminAddress: "", voter: true)],
                   peers: [], tasks: TaskCounts(), faults: FaultSpec(), raftAddress: "", adminAddress: "a-\(id)", uptimeMs: uptimeMs,
                   leaderContactAgeMs: contact, leaderForMs: led)
    }

    func snapshot(_ seq: UInt64, at seconds: Double, _ statuses: [NodeStatus]) -> ClusterSnapshot {
        ClusterSnapshot(seq: seq, takenAt: t0.addingTimeInterval(seconds),
                        nodes: statuses.map { NodeObservation(id: $0.id, adminAddress: $0.adminAddress, status: $0, up: true) })
    }

    /// The election's time is the new leader's own measure, however far apart the snapshots are.
    @Test func anElectionTakesWhatTheNewLeaderMeasuredNotTheSnapshotInterval() {
        var o = ChangeObserver()
        _ = o.observe(snapshot(1, at: 0, [status("n1", role: .leader, term: 2, leader: "n1", led: 5_000),
                                          status("n2", role: .follower, term: 2, leader: "n1", contact: 10)]))
        // Two seconds later n2 leads: it last heard from n1 730 ms ago and has led for 320 ms.
        let events = o.observe(snapshot(2, at: 2, [status("n2", role: .leader, term: 3, leader: "n2", contact: 730, led: 320)]))
        let election = events.first { $0.category == "election" }
        #expect(election?.message == "n2 elected leader, term 3 (0.41 s)")
        #expect(election?.durationMs == 410)
    }

    @Test func aFirstLeaderIsTimedFromItsStart() {
        var o = ChangeObserver()
        _ = o.observe(snapshot(1, at: 0, [status("n1", role: .follower, term: 1, leader: nil, uptimeMs: 200)]))
        let events = o.observe(snapshot(2, at: 1, [status("n1", role: .leader, term: 2, leader: "n1", uptimeMs: 900, led: 300)]))
        let election = events.first { $0.category == "election" }
        #expect(election?.message == "n1 elected leader, term 2 (first leader, 0.60 s after its start)")
        #expect(election?.durationMs == nil)
    }

    @Test func aDeathIsReportedOnceWithItsReason() {
        var o = ChangeObserver()
        let alive = snapshot(1, at: 0, [status("n1", role: .leader, term: 2, leader: "n1", led: 1_000)])
        _ = o.observe(alive)
        var gone = alive
        gone.nodes[0].up = false
        gone.nodes[0].process = .stopped
        #expect(o.observe(gone).map(\.category) == ["node-down", "leader-lost"])
        gone.nodes[0].exit = NodeExit(reason: "storage failed: fsync", byOperator: false)
        #expect(o.observe(gone).map(\.message) == ["n1 died: storage failed: fsync"])
        #expect(o.observe(gone).isEmpty)
        gone.nodes[0].exit = NodeExit(reason: "n1 killed by the operator (SIGKILL)", byOperator: true)
        #expect(o.observe(gone).isEmpty, "an operator's kill is no death")
    }
}
