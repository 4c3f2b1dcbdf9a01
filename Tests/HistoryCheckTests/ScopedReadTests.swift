import HistoryCheck
import Testing

/// A read of the newest part of a large task table: it vouches for the keys placed from its
/// `from` on, and a key it missed counts against it only when the key's add learned a place
/// in that scope.
@Suite("Reads of part of the table")
struct ScopedReadTests {
    @Test func aScopedReadMissingAKeyInItsScopeIsStale() throws {
        let history = [add("a", 0, 10, at: 7), add("b", 12, 18, at: 8), read(["b"], 20, 30, from: 5)]
        let window = try #require(check(history).window, "a was placed at 7, inside the read's scope from 5")
        #expect(window.partition == "a" && window.failingOperation == history[2])
    }

    @Test func aScopedReadSaysNothingOfKeysPlacedBeforeItsScope() {
        #expect(check([add("a", 0, 10, at: 3), add("b", 12, 18, at: 8), read(["b"], 20, 30, from: 5)]) == .linearizable)
    }

    @Test func aKeyWhosePlaceIsUnknownIsNotHeldAgainstAScopedRead() {
        // An add acknowledged without a place (an older client), or never acknowledged: the read
        // cannot tell whether it fell in its scope.
        #expect(check([add("a", 0, 10), add("b", 12, 18, at: 8), read(["b"], 20, 30, from: 5)]) == .linearizable)
        #expect(check([add("a", 0, nil, .unknown), read(["a"], by: 3, 5, 9), read([], 20, 30, from: 5)]) == .linearizable)
    }

    @Test func aReadOfTheWholeTableStillVouchesForEveryKey() {
        #expect(check([add("a", 0, 10, at: 3), read([], 20, 30)]).window != nil)
    }

    @Test func whatAScopedReadSawStillCounts() throws {
        // It saw a key nobody added, and a key before the add of it was called.
        #expect(check([add("a", 0, 10, at: 3), read(["a", "ghost"], 20, 30, from: 5)]).window?.partition == "ghost")
        #expect(check([read(["a"], 0, 5, from: 1), add("a", 10, 20, at: 1)]).window?.partition == "a")
    }

    @Test func jepsensExportLeavesScopedReadsOut() {
        let lines = HistoryExport.jsonLines([add("a", 0, 10, at: 3), read([], 20, 30, from: 5), read(["a"], 40, 50)])
        #expect(lines.split(separator: "\n").count == 4, "the add and the whole read, an invoke and a completion each:\n\(lines)")
        #expect(!lines.contains("\"value\":[]"))
    }
}
