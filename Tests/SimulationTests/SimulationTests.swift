import ClusterRules
import Testing
import TestSupport
@testable import Simulation

@Suite("Seeded cluster simulations")
struct SimulationTests {
    /// Many seeds under every fault the simulator knows; each must keep every invariant and recover.
    @Test func twoHundredSeedsKeepEveryInvariant() async {
        var template = SimulationConfig(seed: 1)
        template.steps = 800
        await expectEverySeedHolds(1...200, template)
    }

    @Test func sameSeedSameTraceOtherSeedOtherTrace() {
        var config = SimulationConfig(seed: 42)
        config.steps = 600
        var a = ClusterSimulation(config: config)
        var b = ClusterSimulation(config: config)
        let ra = a.run(), rb = b.run()
        #expect(ra.traceHash == rb.traceHash)
        #expect(ra.stats == rb.stats)
        config.seed = 43
        var c = ClusterSimulation(config: config)
        #expect(c.run().traceHash != ra.traceHash)
    }

    /// Without faults the workload flows: submits are acknowledged and tasks run to success.
    @Test func quietClusterMakesProgress() {
        var config = SimulationConfig(seed: 7)
        config.steps = 1000
        config.faults = false
        var sim = ClusterSimulation(config: config)
        let r = sim.run()
        #expect(r.passed, "\(r.violations) \(r.livenessFailure ?? "")")
        #expect(r.stats.elections >= 1)
        #expect(r.stats.submitsAcknowledged > 100)
        #expect(r.stats.tasksSucceeded > 50)
        #expect(r.stats.finalCommit > 200)
        #expect(r.stats.readsServed > 50, "the client reads through ReadIndex")
        #expect(r.stats.readsChecked > 20, "reads are held against acknowledged writes")
    }

    /// The faulty runs really exercise the faults they claim to.
    @Test func faultsAreExercised() async {
        var template = SimulationConfig(seed: 1)
        template.steps = 1500
        let totals = await statsTotals(1...10, template, [\.crashes, \.membershipChanges, \.transfers, \.snapshotsInstalled, \.faults,
                                                          \.storageStalls, \.powerCuts, \.slowLinks, \.slowDisks, \.clockSkews])
        #expect(totals.faults > 20)
        #expect(totals.crashes > 0)
        #expect(totals.membershipChanges > 0)
        #expect(totals.transfers > 0)
        #expect(totals.snapshotsInstalled > 0)
        #expect(totals.storageStalls > 0, "a full disk stalled a node's real storage")
        #expect(totals.powerCuts > 0)
        #expect(totals.slowLinks + totals.slowDisks + totals.clockSkews > 0, "the slow faults are in the default set")
    }

    /// A checker that never fails proves nothing: plant real bugs in the simulated runtime
    /// and expect the checker to report safety violations, with a seed that reproduces them.
    /// Amnesia needs a wipe to show, which the default fault mix draws rarely: `WipeTests` plants it
    /// under wipes and crashes.
    @Test(arguments: InjectedBug.allCases.filter { $0 != .amnesia })
    func plantedBugsAreCaught(_ bug: InjectedBug) async {
        var template = SimulationConfig(seed: 1)
        template.nodes = 3
        template.steps = 1000
        template.injectedBug = bug
        template.faultRate = 0.1
        template.faultTicks = 5...40
        let summary = await heavy {
            await SeedRunner.run(seeds: Array(1...30), template: template, parallelism: 2)
        }
        #expect(summary.violations > 0, "\(bug) went unnoticed in 30 seeds")
        if bug == .staleReads {
            #expect(summary.failures.contains { $0.violations.contains { $0.kind == .staleRead } },
                    "stale reads are caught by the client's read check")
        }
        let failed = summary.failures.first
        #expect(failed?.config.reproduceCommand.contains("--inject-bug \(bug.rawValue)") == true)
    }
}

/// Runs each seed of `seeds` with `template`, one after another on threads of their own, and sums
/// the `counts` of their stats (the others stay 0): for a test that the faults it claims really
/// happened across the seeds.
func statsTotals(_ seeds: ClosedRange<UInt64>, _ template: SimulationConfig,
                 _ counts: [WritableKeyPath<SimulationResult.Stats, Int>]) async -> SimulationResult.Stats {
    var totals = SimulationResult.Stats()
    for seed in seeds {
        var config = template
        config.seed = seed
        var sim = ClusterSimulation(config: config)
        let stats = await heavy { sim.run().stats }
        for count in counts { totals[keyPath: count] += stats[keyPath: count] }
    }
    return totals
}

/// Runs the seeds of `template`, on threads of their own rather than the shared pool every other
/// test needs, and expects each to keep every invariant and recover; a failure names the command
/// that replays it (and `extra`, what the command line cannot say).
func expectEverySeedHolds(_ seeds: ClosedRange<UInt64>, _ template: SimulationConfig, extra: String = "") async {
    let summary = await heavy {
        await SeedRunner.run(seeds: Array(seeds), template: template, parallelism: 2)
    }
    let report = summary.failures.map { f in
        "seed \(f.config.seed): \(f.violations.prefix(3)) \(f.livenessFailure ?? "") — \(f.config.reproduceCommand)\(extra)"
    }
    #expect(summary.seeds == seeds.count)
    #expect(summary.violations == 0, "\(report)")
    #expect(summary.livenessFailures == 0, "\(report)")
}
