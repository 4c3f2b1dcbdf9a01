import Testing
import TestSupport
@testable import Simulation

/// A cluster founded from empty storage, as `flotilla up` starts one, while founders restart
/// before they have decided (some with other `--slots`): the founders must not write two
/// different entries 1, which the checker's log matching at index 1 catches.
@Suite("Founding from empty storage")
struct FoundingTests {
    static func template() -> SimulationConfig {
        var t = SimulationConfig(seed: 1)
        t.steps = 600
        t.foundFromEmpty = true
        t.faultTicks = 5...60
        t.onlyFaults = [.crash, .bounce, .isolateOne, .slowLink]
        return t
    }

    @Test func foundersRestartedWhileFoundingWriteOneEntryOne() async {
        await expectEverySeedHolds(1...60, Self.template(), extra: " (faults: crash, bounce, isolate one, slow link; 5...60 ticks)")
        let totals = await statsTotals(1...10, Self.template(), [\.founderRestarts, \.foundings, \.submitsAcknowledged])
        #expect(totals.founderRestarts > 10, "founders were restarted while deciding: \(totals)")
        #expect(totals.foundings >= 10 && totals.submitsAcknowledged > 500, "every run founded and took writes: \(totals)")
    }

    @Test func reproduceCommandSaysFoundFromEmpty() {
        #expect(Self.template().reproduceCommand.contains("--found-from-empty"))
    }
}
