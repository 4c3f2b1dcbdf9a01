import ClusterRules
import Testing

/// The rules the simulator and the monitor share, each shown to break on the history that breaks it.
@Suite("Safety rules")
struct SafetyRulesTests {
    @Test func twoLeadersInOneTermBreakElectionSafety() {
        var r = SafetyRules<String>()
        #expect(r.leader("n1", term: 3) == nil)
        #expect(r.leader("n1", term: 3) == nil, "the same leader seen again")
        #expect(r.leader("n2", term: 4) == nil)
        #expect(r.leader("n2", term: 3)?.rule == .electionSafety)
    }

    @Test func termsAndCommitsNeverGoBackUnlessForgotten() throws {
        var r = SafetyRules<String>()
        #expect(r.progress("n1", term: 2, commit: 10).isEmpty)
        #expect(r.progress("n1", term: 3, commit: 10).isEmpty)
        #expect(r.progress("n1", term: 2, commit: 9).map(\.rule) == [.termRegression, .commitRegression])
        let mark = try #require(r.highest("n1"))
        #expect(mark.term == 3 && mark.commit == 10, "a regression does not lower the mark")
        #expect(r.progress("n2", term: 1, commit: 0).isEmpty, "each node on its own")
        r.forget("n1")
        #expect(r.progress("n1", term: 1, commit: 0).isEmpty, "a wiped node starts over")
    }

    @Test func differentHashesAtOneCommittedIndexBreakLogMatching() {
        var r = SafetyRules<UInt64>()
        #expect(r.committed("n1", index: 5, hash: 0xaa) == nil)
        #expect(r.committed("n2", index: 5, hash: 0xaa) == nil)
        #expect(r.committed("n3", index: 0, hash: 0xbb) == nil, "nothing is committed at 0")
        let breach = r.committed("n3", index: 5, hash: 0xbb)
        #expect(breach?.rule == .logMatching && breach?.node == "n3")
        #expect(breach?.detail.contains("n1 and n3") == true)
        r.forgetCommitted(through: 5)
        #expect(r.committedCount == 0)
    }

    @Test func indexesStayInOrder() {
        #expect(SafetyRules<UInt64>.indexOrder("n1", applied: 3, commit: 4, lastIndex: 4) == nil)
        #expect(SafetyRules<UInt64>.indexOrder("n1", applied: 5, commit: 4, lastIndex: 6)?.rule == .indexOrder)
        #expect(SafetyRules<UInt64>.indexOrder("n1", applied: 1, commit: 7, lastIndex: 6)?.rule == .indexOrder)
    }

    @Test func acknowledgedSubmitsAreThereExactlyOnce() {
        let table = ["a": ["t-1"], "b": ["t-2", "t-3"], "c": ["t-4"]]
        let acknowledged: [(key: String, id: String?)] = [("a", "t-1"), ("c", "t-9"), ("d", nil)]
        let found = SafetyRules<UInt64>.submits(table, node: "n1", acknowledged: acknowledged)
        #expect(found.map(\.rule) == [.duplicateSubmit, .lostSubmit, .lostSubmit])
        #expect(found[0].detail.contains("t-2, t-3"))
        #expect(found[1].detail.contains("acknowledged as t-9"))
        #expect(found[2].detail.contains("d was acknowledged"))
        #expect(SafetyRules<UInt64>.submits(table.filter { $0.key != "b" }, node: nil, acknowledged: acknowledged.prefix(1)).isEmpty)
    }
}
