import Testing
import TestSupport
@testable import Simulation

/// A cluster founded from empty storage, as `flotilla up` starts one, while founders restart
/// before they have decided (some with other `--slots`, one at a time with other `--peers`): no
/// two founders may write entry 1 (the simulation flags a second writer, and the checker's log
/// matching at index 1 catches two different entries).
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
        let totals = await statsTotals(1...10, Self.template(), [\.founderRestarts, \.foundings, \.submitsAcknowledged,
                                                                 \.founderMisconfigurations, \.founderConflicts])
        #expect(totals.founderRestarts > 10, "founders were restarted while deciding: \(totals)")
        #expect(totals.foundings >= 10 && totals.submitsAcknowledged > 500, "every run founded and took writes: \(totals)")
        #expect(totals.founderMisconfigurations >= 3 && totals.founderConflicts >= 3,
                "founders were restarted with other --peers, and the others noticed: \(totals)")
    }

    /// What one run with n2 started on --peers that leave n1 out showed: after 200 ticks with
    /// nothing put right, and at the end, once it was restarted with the right ones.
    struct MisconfiguredRun: Sendable {
        var writerWhileWrong: String?
        var conflictsWhileWrong = 0
        var unfoundedWhileWrong = 0
        var result: SimulationResult
        var writer: String?
    }

    static func misconfiguredRun(seed: UInt64) -> MisconfiguredRun {
        var t = template()
        t.seed = seed
        t.faults = false
        var sim = ClusterSimulation(config: t)
        var subset = sim.rightPeers
        subset["n1"] = nil
        sim.crash("n2")
        sim.nodes["n2"].otherPeers = subset
        sim.restart("n2")
        for _ in 0..<200 { sim.step() }
        let (writer, conflicts, unfounded) = (sim.entryOneWriter, sim.stats.founderConflicts, sim.unfounded.count)
        let result = sim.run()
        return MisconfiguredRun(writerWhileWrong: writer, conflictsWhileWrong: conflicts, unfoundedWhileWrong: unfounded,
                                result: result, writer: sim.entryOneWriter)
    }

    /// In its own set n2 is the first founder. Were sets not compared, n2 would found {n2..n5}
    /// while n1 founds {n1..n5}: two entries 1.
    @Test func aFounderGivenOtherPeersHoldsEveryFoundingUntilPutRight() async {
        for seed in UInt64(1)...8 {
            let r = await heavy { Self.misconfiguredRun(seed: seed) }
            #expect(r.writerWhileWrong == nil, "seed \(seed): \(r.writerWhileWrong ?? "") founded while n2 was started with other --peers")
            #expect(r.conflictsWhileWrong > 0, "seed \(seed): the founders saw that they disagree")
            #expect(r.unfoundedWhileWrong == Self.template().nodes, "seed \(seed): nobody stored anything meanwhile")
            // The faults end: n2 is restarted with the right --peers, and n1 founds the cluster, once.
            #expect(r.result.passed, "seed \(seed): \(r.result.violations.prefix(3)) \(r.result.livenessFailure ?? "")")
            #expect(r.result.stats.foundings >= 1 && r.writer == "n1", "seed \(seed): \(r.result.stats)")
        }
    }

    @Test func reproduceCommandSaysFoundFromEmpty() {
        #expect(Self.template().reproduceCommand.contains("--found-from-empty"))
    }
}
