import FlotillaAPI
@testable import Orchestrator
import Testing

/// What a page of the newest tasks vouches for: every task from the newest down to the first
/// one missing, counted from `total + removed` (the tasks the table has made).
@Suite("The scope of a load's read")
struct LoadReadScopeTests {
    func ids(_ numbers: some Sequence<Int>) -> [String] { numbers.map { "t-\($0)" } }

    @Test func aPageOfTheNewestTasksVouchesDownToItsOldest() {
        // 5,000 made, 3,000 held, the newest 1,000 on the page.
        #expect(FlotillaLoadClient.scope(ids: ids((4001...5000).reversed()), total: 3000, removed: 2000) == 4001)
        // The whole table, whose oldest tasks retention removed.
        #expect(FlotillaLoadClient.scope(ids: ids((31...50).reversed()), total: 20, removed: 30) == 31)
        #expect(FlotillaLoadClient.scope(ids: ids((1...5).reversed()), total: 5, removed: 0) == 1)
    }

    @Test func aGapEndsTheScope() {
        // Retention removed t-97 (it finished first): the page vouches for t-98 on only.
        #expect(FlotillaLoadClient.scope(ids: ids([100, 99, 98, 96, 95]), total: 5, removed: 95) == 98)
    }

    @Test func withTheNewestTaskGoneOnlyTasksToComeAreVouchedFor() {
        #expect(FlotillaLoadClient.scope(ids: ids([99, 98]), total: 2, removed: 98) == 101)
        #expect(FlotillaLoadClient.scope(ids: [], total: 0, removed: 40) == 41)
        #expect(FlotillaLoadClient.scope(ids: [], total: 0, removed: 0) == 1)
    }

    @Test func idsOfAnotherFormVouchForNothing() {
        #expect(FlotillaLoadClient.scope(ids: ["t-2", "x-1"], total: 2, removed: 0) == nil)
        #expect(TaskView.number(of: "t-42") == 42)
        #expect(TaskView.number(of: "t-0") == nil && TaskView.number(of: "t-") == nil
            && TaskView.number(of: "42") == nil)
    }
}
