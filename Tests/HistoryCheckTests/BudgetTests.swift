import HistoryCheck
import Testing

/// A check always ends: a spent budget or the caller's stop gives `.unknown`, never a hang.
@Suite("Search budget")
struct BudgetTests {
    /// Many fully concurrent adds and reads of one key, some seeing it and some not, then a read
    /// that misses it for certain: the search must try exponentially many orders to tell.
    static let pathological: [HistoryOperation] = {
        var history: [HistoryOperation] = []
        for i in Int64(0)..<14 {
            history += [add("k", by: 1, i, 1000 + i), read([], by: 2, i, 1000 + i), read(["k"], by: 3, i, 1000 + i)]
        }
        return history + [read([], 2000, 2010)]
    }()

    @Test func aSpentBudgetGivesUnknown() throws {
        let verdict = LinearizabilityChecker.check(Self.pathological, model: TaskSetModel(), budget: 5_000)
        guard case .unknown(let reason) = verdict else {
            Issue.record("expected unknown, got \(verdict)")
            return
        }
        #expect(reason.contains("budget of 5000"))
    }

    @Test func theCallerCanStopTheCheck() {
        var asked = 0
        let verdict = LinearizabilityChecker.check(Self.pathological, model: TaskSetModel(), budget: .max) {
            asked += 1
            return asked == 3
        }
        #expect(verdict == .unknown(reason: "the caller stopped the check after 0 of 1 partitions"))
        #expect(asked == 3)
    }

    @Test func aBudgetLargeEnoughGivesTheVerdict() {
        let history = [add("a", 0, 10), read([], 20, 30)]
        #expect(LinearizabilityChecker.check(history, model: TaskSetModel(), budget: 0) != .linearizable)
        #expect(LinearizabilityChecker.check(history, model: TaskSetModel(), budget: 100).window != nil)
    }
}
