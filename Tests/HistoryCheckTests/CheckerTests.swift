import HistoryCheck
import Testing

/// Hand-made histories, each with the verdict a careful reader would give it.
@Suite("Linearizability of hand-made task-set histories")
struct CheckerTests {
    @Test func sequentialAddsThenAReadSeeingThemAreLinearizable() {
        #expect(check([add("a", 0, 10), add("b", 20, 30), read(["a", "b"], 40, 50)]) == .linearizable)
    }

    @Test func aReadMissingAKeyAddedBeforeItWasCalledIsStale() throws {
        let history = [add("a", 0, 10), add("b", 12, 18), read(["b"], 20, 30), add("c", by: 3, 22, 40)]
        let window = try #require(check(history).window)
        #expect(window.partition == "a")
        #expect(window.indices == [0, 2], "exactly that add and that read")
        #expect(window.failingOperation == history[2])
        #expect(check(window.operations).window != nil, "the window fails alone")
    }

    @Test func theWindowLeavesOutOperationsTheFailureDoesNotNeed() throws {
        // A resubmit that never returned and a read that rightly missed the key both touch key a,
        // but the stale read fails without them.
        let history = [add("a", 0, 10), read([], by: 3, 2, 8), add("a", by: 4, 1, nil, .unknown), read([], 20, 30)]
        let window = try #require(check(history).window)
        #expect(window.indices == [0, 3])
        #expect(window.failing == 1)
    }

    @Test func aReadConcurrentWithAnAddMayMissIt() {
        #expect(check([add("a", 0, 30), read([], 10, 20)]) == .linearizable)
        #expect(check([add("a", 10, 30), read([], 0, 20), read(["a"], by: 3, 5, 25)]) == .linearizable)
    }

    @Test func operationsThatTouchAreConcurrent() {
        #expect(check([add("a", 0, 10), read([], 10, 20)]) == .linearizable)
        #expect(check([add("a", 0, 10), read([], 11, 20)]).window != nil)
    }

    @Test func aReadSeeingAKeyNeverAddedIsNotLinearizable() throws {
        let window = try #require(check([add("a", 0, 10), read(["a", "ghost"], 20, 30)]).window)
        #expect(window.partition == "ghost" && window.indices == [1] && window.failing == 0)
    }

    @Test func anUnknownAddMayTakeEffectAnyTimeAfterItsCall() {
        #expect(check([add("a", 0, nil, .unknown), read(["a"], 20, 30)]) == .linearizable)
        #expect(check([add("a", 0, 10, .unknown), read(["a"], 500, 600)]) == .linearizable, "even long after it gave up")
        #expect(check([add("a", 40, nil, .unknown), read(["a"], 20, 30)]).window != nil, "but not before its call")
    }

    @Test func anUnknownAddMayNeverTakeEffect() {
        #expect(check([add("a", 0, nil, .unknown), read([], 20, 30), read([], 40, 50)]) == .linearizable)
        #expect(check([add("a", 0, 10, .unknown), read([], 20, 30)]) == .linearizable)
    }

    @Test func aFailedAddHadNoEffect() throws {
        let history = [add("a", 0, 10, .fail), read(["a"], 20, 30)]
        let window = try #require(check(history).window)
        #expect(window.partition == "a" && window.indices == [1])
        #expect(check([add("a", 0, 10, .fail), read([], 20, 30)]) == .linearizable)
    }

    @Test func aKeySeenOnceIsSeenByEveryLaterRead() throws {
        let history = [add("a", by: 3, 0, 100), read(["a"], 10, 20), read([], 30, 40)]
        let window = try #require(check(history).window)
        #expect(window.failingOperation == history[2], "the later read is the one that cannot be placed")
        #expect(window.indices == [0, 1, 2], "the add and the earlier read explain why")
        #expect(check([add("a", by: 3, 0, 100), read([], 10, 20), read(["a"], 30, 40)]) == .linearizable)
    }

    @Test func resubmittingAKeyIsIdempotent() {
        let history = [add("a", 0, 10), add("a", by: 3, 5, 15), read(["a"], 20, 30), add("a", by: 3, 40, 50), read(["a"], 60, 70)]
        #expect(check(history) == .linearizable)
    }

    @Test func failedAndUnknownReadsConstrainNothing() {
        #expect(check([read(["ghost"], 0, 10, .fail), read(["ghost"], by: 3, 0, nil, .unknown)]) == .linearizable)
        #expect(check([add("a", 0, 10), read([], 20, 30, .unknown)]) == .linearizable)
    }

    /// The documented weakness of the per-key split: a whole-table read is one snapshot, and
    /// checking keys one at a time cannot see two snapshots that disagree on the order of adds.
    @Test func splittingReadsByKeyMissesDisagreeingSnapshots() {
        let history = [add("a", 0, 100), add("b", by: 3, 0, 100), read(["a"], 10, 90), read(["b"], by: 4, 10, 90)]
        #expect(check(history) == .linearizable)
    }
}
