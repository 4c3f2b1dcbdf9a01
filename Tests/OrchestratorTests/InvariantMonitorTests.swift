import FlotillaAPI
import Foundation
import Orchestrator
import Testing

func status(_ id: String, role: NodeRole = .follower, term: UInt64 = 1, commit: UInt64 = 5, applied: UInt64? = nil,
            last: UInt64? = nil, hash: String = "aa", members: [String] = ["n1", "n2", "n3"]) -> NodeStatus {
    NodeStatus(id: id, clusterID: "c", role: role, term: term, leader: role == .leader ? id : nil, vote: nil,
               commit: commit, applied: applied ?? commit, lastIndex: last ?? commit, snapshotIndex: 0, commitHash: hash,
               members: members.map { MemberInfo(id: $0, raftAddress: "r", adminAddress: "a-\($0)", voter: true) },
               peers: [], tasks: TaskCounts(), faults: FaultSpec(), raftAddress: "r", adminAddress: "a-\(id)", uptimeMs: 1)
}

func snapshot(_ statuses: [NodeStatus], down: [String] = [], at: Date = Date()) -> ClusterSnapshot {
    var nodes = statuses.map { NodeObservation(id: $0.id, adminAddress: $0.adminAddress, status: $0, up: true, lastSeen: at) }
    nodes += down.map { NodeObservation(id: $0, adminAddress: "a-\($0)", up: false, process: .stopped) }
    return ClusterSnapshot(seq: 0, takenAt: at, nodes: nodes.sorted { $0.id < $1.id })
}

func task(_ id: String, key: String, state: TaskState = .queued, epoch: UInt64 = 0, node: String? = nil) -> TaskView {
    TaskView(id: id, key: key, kind: "echo", args: [:], target: nil, state: state, node: node, epoch: epoch, attempts: 1,
             maxAttempts: 3, submittedAt: 0, updatedAt: 0, result: nil, error: nil)
}

@Suite("Invariant monitor")
struct InvariantMonitorTests {
    @Test func aHealthyHistoryHasNoViolation() {
        var m = InvariantMonitor()
        m.observe(snapshot([status("n1", role: .leader), status("n2"), status("n3")]))
        m.observe(snapshot([status("n1", term: 2, commit: 9, hash: "bb"), status("n2", role: .leader, term: 2, commit: 9, hash: "bb")]))
        m.observe(tasks: [task("t-1", key: "k1", state: .succeeded, epoch: 1, node: "n1")], acknowledged: ["k1": "t-1"])
        #expect(m.ok && m.checks == 3)
    }

    @Test func twoLeadersInOneTermAreCaughtEvenInDifferentSnapshots() {
        var m = InvariantMonitor()
        m.observe(snapshot([status("n1", role: .leader, term: 3)]))
        let found = m.observe(snapshot([status("n2", role: .leader, term: 3)]))
        #expect(found.map(\.invariant) == ["election safety"])
    }

    @Test func termAndCommitMustNotGoBackwardsAcrossRestarts() {
        var m = InvariantMonitor()
        m.observe(snapshot([status("n1", term: 4, commit: 10)]))
        m.observe(snapshot([], down: ["n1"]))
        let found = m.observe(snapshot([status("n1", term: 3, commit: 8)]))
        #expect(Set(found.map(\.invariant)) == ["monotonic term", "monotonic commit"])
        m.forget("n1")
        #expect(m.observe(snapshot([status("n1", term: 1, commit: 1)])).isEmpty, "after an operator wiped it")
    }

    @Test func appliedCommitAndLastIndexMustBeOrdered() {
        var m = InvariantMonitor()
        #expect(m.observe(snapshot([status("n1", commit: 5, applied: 6)])).count == 1)
        #expect(m.observe(snapshot([status("n2", commit: 7, last: 6)])).count == 1)
    }

    @Test func differentHashesAtTheSameCommitIndexAreDivergence() {
        var m = InvariantMonitor()
        m.observe(snapshot([status("n1", commit: 5, hash: "aa")]))
        #expect(m.observe(snapshot([status("n2", commit: 5, hash: "ff")])).map(\.invariant) == ["log matching"])
        let probe = ["n1": LogHash(index: 5, term: 1, hash: "aa"), "n2": LogHash(index: 5, term: 1, hash: "ab")]
        #expect(m.observe(hashes: probe).count == 1)
    }

    @Test func aLostOrDuplicatedAcknowledgedSubmitIsAViolation() {
        var m = InvariantMonitor()
        let lost = m.observe(tasks: [task("t-1", key: "a")], acknowledged: ["a": "t-1", "b": "t-2"])
        #expect(lost.map(\.invariant) == ["acknowledged submit present"])
        let twice = m.observe(tasks: [task("t-1", key: "a"), task("t-3", key: "a")], acknowledged: ["a": "t-1"])
        #expect(twice.map(\.invariant) == ["exactly once"])
    }

    @Test func aSecondCompletionOrAShrinkingEpochIsAViolation() {
        var m = InvariantMonitor()
        m.observe(tasks: [task("t-1", key: "a", state: .succeeded, epoch: 2, node: "n1")], acknowledged: [:])
        let again = m.observe(tasks: [task("t-1", key: "a", state: .succeeded, epoch: 3, node: "n2")], acknowledged: [:])
        #expect(again.map(\.invariant) == ["one accepted completion"])
        var e = InvariantMonitor()
        e.observe(tasks: [task("t-9", key: "z", state: .running, epoch: 4, node: "n1")], acknowledged: [:])
        #expect(e.observe(tasks: [task("t-9", key: "z", state: .running, epoch: 2, node: "n1")], acknowledged: [:]).map(\.invariant) == ["fencing epochs grow"])
    }

    @Test func eachViolationIsReportedOnce() {
        var m = InvariantMonitor()
        m.observe(snapshot([status("n1", commit: 5, applied: 6)]))
        m.observe(snapshot([status("n1", commit: 5, applied: 6)]))
        #expect(m.violations.count == 1)
    }
}

@Suite("Recovery analyzers")
struct RecoveryAnalyzerTests {
    @Test func anUninitializedClusterIsToBeBootstrapped() {
        var a = RecoveryAnalyzer()
        let s = snapshot([status("n1", term: 0, commit: 0, members: []), status("n2", term: 0, commit: 0, members: [])])
        #expect(a.analyze(s, intents: OperatorIntents()).map(\.action) == [.bootstrap])
    }

    @Test func aLeaderlessQuorumIsReportedOnlyAfterThreeElectionTimeouts() {
        var a = RecoveryAnalyzer(electionMs: 100)  // reported after 0.6 s
        let t0 = Date()
        let s = { (dt: Double) in snapshot([status("n1"), status("n2"), status("n3")], at: t0.addingTimeInterval(dt)) }
        #expect(a.analyze(s(0), intents: OperatorIntents()).isEmpty)
        #expect(a.analyze(s(0.5), intents: OperatorIntents()).isEmpty)
        #expect(a.analyze(s(0.7), intents: OperatorIntents()).map(\.key) == ["no-leader"])
    }

    @Test func aLostQuorumNamesTheDeadVoters() {
        var a = RecoveryAnalyzer()
        var intents = OperatorIntents()
        intents.stopped = ["n2", "n3"]
        let found = a.analyze(snapshot([status("n1", role: .leader)], down: ["n2", "n3"]), intents: intents)
        #expect(found.map(\.key) == ["quorum-lost:n2,n3"])
        #expect(found[0].message.contains("down: n2, n3"))
    }

    @Test func votersStillStartingAreNotReportedDeadUntilTheStartupWindowPasses() {
        var a = RecoveryAnalyzer(electionMs: 100)  // a 0.6 s window
        let t0 = Date()
        func s(_ dt: Double) -> ClusterSnapshot {
            var snap = snapshot([status("n1")], down: ["n2", "n3"], at: t0.addingTimeInterval(dt))
            for i in snap.nodes.indices where snap.nodes[i].id != "n1" { snap.nodes[i].process = .running }
            return snap
        }
        #expect(a.analyze(s(0), intents: OperatorIntents()).isEmpty)
        #expect(a.analyze(s(0.3), intents: OperatorIntents()).isEmpty)
        #expect(a.analyze(s(0.7), intents: OperatorIntents()).map(\.key) == ["quorum-lost:n2,n3"])
    }

    @Test func aNodeThatDiedOnItsOwnIsRestartedButNotOneTheOperatorKilled() {
        var a = RecoveryAnalyzer()
        let s = snapshot([status("n1", role: .leader), status("n2")], down: ["n3"])
        #expect(a.analyze(s, intents: OperatorIntents()).compactMap(\.action) == [.restart("n3")])
        var intents = OperatorIntents()
        intents.stopped = ["n3"]
        #expect(a.analyze(s, intents: intents).compactMap(\.action).isEmpty)
    }

    @Test func aMemberDownTooLongGetsAReplacementProposed() {
        var a = RecoveryAnalyzer(replaceAfter: 60)
        var intents = OperatorIntents()
        intents.stopped = ["n3"]
        let t0 = Date()
        _ = a.analyze(snapshot([status("n1", role: .leader), status("n2")], down: ["n3"], at: t0), intents: intents)
        let later = a.analyze(snapshot([status("n1", role: .leader), status("n2")], down: ["n3"], at: t0.addingTimeInterval(61)), intents: intents)
        #expect(later.map(\.key).contains("replace:n3"))
    }

    @Test func aNodeWhoseDataIsGoneIsReplacedNotRestarted() {
        var a = RecoveryAnalyzer()
        var s = snapshot([status("n1", role: .leader), status("n2")], down: ["n3"])
        s.nodes[2].exit = NodeExit(reason: "n3 came back as incarnation 2, but the cluster knows it as 1: … run `flotilla replace n3` …", byOperator: false)
        let found = a.analyze(s, intents: OperatorIntents())
        #expect(found.compactMap(\.action) == [.replace("n3")], "restarting it would only repeat its refusal: \(found.map(\.message))")
    }

    @Test func aNewIncarnationStartsItsHistoryOverButTheSameOneMayNotGoBack() {
        var m = InvariantMonitor()
        var before = status("n2", term: 5, commit: 40)
        before.incarnation = "00000000000000aa"
        m.observe(snapshot([status("n1", role: .leader, term: 5, commit: 40), before]))
        var replaced = status("n2", term: 0, commit: 0)
        replaced.incarnation = "00000000000000bb"
        #expect(m.observe(snapshot([status("n1", role: .leader, term: 5, commit: 41), replaced])).isEmpty)
        var back = status("n2", term: 0, commit: 0)
        back.incarnation = "00000000000000bb"
        var ahead = back
        ahead.term = 5
        ahead.commit = 41
        m.observe(snapshot([ahead]))
        #expect(m.observe(snapshot([back])).map(\.invariant).contains("monotonic term"))
    }
}
