import Testing
import TestSupport
@testable import Simulation

/// A node whose disk is wiped and started again on the same command line, run through the node
/// runtime's own founder check and incarnation admission: it never takes part as the member it
/// was, the simulator replaces it as an operator would, and nothing acknowledged is lost. With
/// the protection planted off, the checker catches the loss.
@Suite("Wiped disks")
struct WipeTests {
    static let faults: [Fault] = [.wipe, .crash, .bounce, .isolateOne, .promote]

    static func template(bug: InjectedBug? = nil) -> SimulationConfig {
        var t = SimulationConfig(seed: 1)
        t.nodes = 3
        t.steps = 1500
        t.faultRate = 0.05
        t.faultTicks = 5...60
        t.onlyFaults = faults
        t.injectedBug = bug
        return t
    }

    @Test func wipedNodesAreRefusedReplacedAndLoseNothing() async {
        await expectEverySeedHolds(1...30, Self.template(), extra: " (faults: wipe, crash, bounce, isolate one, promote)")
        let totals = await statsTotals(1...6, Self.template(), [\.wipes, \.amnesiaRefused, \.replacements])
        #expect(totals.wipes > 3, "\(totals)")
        #expect(totals.amnesiaRefused > 0 && totals.replacements > 0, "wiped nodes were refused and replaced: \(totals)")
    }

    @Test func amnesiaPlantedIsCaught() async {
        let summary = await heavy {
            await SeedRunner.run(seeds: Array(1...40), template: Self.template(bug: .amnesia), parallelism: 2)
        }
        #expect(summary.violations > 0, "a wiped node taking part as the member it was went unnoticed in 40 seeds")
    }
}
