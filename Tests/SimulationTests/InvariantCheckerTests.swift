import ClusterRules
import RaftCore
import Testing
@testable import Simulation

/// A hand-made log: hashes by index, for feeding the checker histories.
struct FakeLog: LogView {
    var hashes: [UInt64]  // hashes[i] is the hash at index i + 1
    var snapshotIndex: UInt64 = 0
    var lastIndex: UInt64 { UInt64(hashes.count) }
    func hash(at index: UInt64) -> UInt64? {
        guard index >= 1, index <= lastIndex else { return nil }
        return hashes[Int(index - 1)]
    }
}

@Suite("The invariant checker reports every kind of violation")
struct InvariantCheckerTests {
    func kinds(_ c: InvariantChecker) -> [Violation.Kind] { c.violations.map(\.kind) }

    @Test func cleanHistoryHasNoViolations() {
        var c = InvariantChecker()
        c.observeLeader("n1", term: 1, log: FakeLog(hashes: [10]))
        c.observeCommit("n1", term: 1, commit: 1, hash: 10)
        c.observeCommit("n2", term: 1, commit: 1, hash: 10)
        c.observeApplied("n1", index: 1, hash: 10)
        c.observeApplied("n2", index: 1, hash: 10)
        c.observeLeader("n1", term: 1, log: FakeLog(hashes: [10, 11]))
        c.observeLeader("n2", term: 2, log: FakeLog(hashes: [10, 12]))
        c.observeDurable("n1", term: 1, commit: 1)
        c.observeDurable("n1", term: 2, commit: 1)
        c.observeCompletion("n1", incarnation: 0, task: "t-1")
        c.observeCompletion("n1", incarnation: 1, task: "t-1")  // replay after restart
        c.checkSubmits("n1", keysInState: ["a", "b"], acknowledged: ["a"])
        #expect(c.violations == [])
    }

    @Test func twoLeadersInOneTerm() {
        var c = InvariantChecker()
        c.observeLeader("n1", term: 3, log: FakeLog(hashes: []))
        c.observeLeader("n2", term: 3, log: FakeLog(hashes: []))
        #expect(kinds(c) == [.electionSafety])
    }

    @Test func leaderThatShrinksOrRewritesItsLog() {
        var c = InvariantChecker()
        c.observeLeader("n1", term: 2, log: FakeLog(hashes: [1, 2, 3]))
        c.observeLeader("n1", term: 2, log: FakeLog(hashes: [1, 2]))
        #expect(kinds(c) == [.leaderAppendOnly])
        var d = InvariantChecker()
        d.observeLeader("n1", term: 2, log: FakeLog(hashes: [1, 2, 3]))
        d.observeLeader("n1", term: 2, log: FakeLog(hashes: [1, 2, 99, 4]))
        #expect(kinds(d) == [.leaderAppendOnly])
    }

    @Test func committedPrefixesThatDisagree() {
        var c = InvariantChecker()
        c.observeCommit("n1", term: 1, commit: 5, hash: 50)
        c.observeCommit("n2", term: 1, commit: 5, hash: 51)
        #expect(kinds(c) == [.logMatching])
    }

    @Test func laterLeaderMissingACommittedEntry() {
        var c = InvariantChecker()
        c.observeCommit("n1", term: 1, commit: 2, hash: 20)
        c.observeLeader("n2", term: 2, log: FakeLog(hashes: [10]))
        #expect(kinds(c) == [.leaderCompleteness])
        var d = InvariantChecker()
        d.observeCommit("n1", term: 1, commit: 2, hash: 20)
        d.observeLeader("n2", term: 2, log: FakeLog(hashes: [10, 21]))
        #expect(kinds(d) == [.leaderCompleteness])
        // A stale leader of an older term is not held to entries committed after it.
        var e = InvariantChecker()
        e.observeCommit("n1", term: 5, commit: 2, hash: 20)
        e.observeLeader("n2", term: 4, log: FakeLog(hashes: [10]))
        #expect(e.violations == [])
    }

    @Test func differentEntriesAppliedAtOneIndex() {
        var c = InvariantChecker()
        c.observeApplied("n1", index: 7, hash: 70)
        c.observeApplied("n3", index: 7, hash: 71)
        #expect(kinds(c) == [.stateMachineSafety])
    }

    @Test func termOrCommitGoingBack() {
        var c = InvariantChecker()
        c.observeDurable("n1", term: 4, commit: 10)
        c.observeDurable("n1", term: 3, commit: 10)
        c.observeDurable("n1", term: 4, commit: 9)
        #expect(kinds(c) == [.termRegression, .commitRegression])
    }

    @Test func lostAndDuplicatedSubmits() {
        var c = InvariantChecker()
        c.checkSubmits("n1", keysInState: ["a", "b", "b"], acknowledged: ["a", "c"])
        #expect(kinds(c) == [.duplicateSubmit, .lostSubmit])
    }

    @Test func secondAcceptedCompletion() {
        var c = InvariantChecker()
        c.observeCompletion("n2", incarnation: 1, task: "t-9")
        c.observeCompletion("n2", incarnation: 1, task: "t-9")
        #expect(kinds(c) == [.duplicateCompletion])
    }

    @Test func runtimeViolationsAreReported() {
        var c = InvariantChecker()
        c.observeRuntimeViolation("n1: term would go back")
        #expect(kinds(c) == [.runtime])
    }
}
