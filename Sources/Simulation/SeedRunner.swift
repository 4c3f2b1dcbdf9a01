/// Runs many seeds across cores and sums up; what `flotilla sim` and the tests share.
public enum SeedRunner {
    public struct Summary: Sendable {
        public var seeds = 0
        public var steps = 0
        public var violations = 0
        public var livenessFailures = 0
        public var determinismFailures = 0
        /// Over every seed: submits acknowledged, linearizable reads checked against an earlier
        /// write or read, and seeds that ran the production flow-control values.
        public var acknowledged = 0
        public var readsChecked = 0
        public var productionFlowControlSeeds = 0
        /// Failed runs, by seed.
        public var failures: [SimulationResult] = []
        /// Seeds whose two runs traced differently.
        public var nondeterministic: [UInt64] = []
    }

    /// Runs `config` once per seed (all else equal), `parallelism` at a time.
    /// With `checkDeterminism`, each seed runs twice and the trace hashes must match.
    public static func run(seeds: [UInt64], template: SimulationConfig, parallelism: Int,
                           checkDeterminism: Bool = false,
                           progress: (@Sendable (SimulationResult) -> Void)? = nil) async -> Summary {
        var summary = Summary()
        await withTaskGroup(of: (SimulationResult, UInt64?).self) { group in
            var pending = seeds[...]
            func launch(_ seed: UInt64) {
                var config = template
                config.seed = seed
                group.addTask {
                    var sim = ClusterSimulation(config: config)
                    let result = sim.run()
                    guard checkDeterminism else { return (result, nil) }
                    var again = ClusterSimulation(config: config)
                    return (result, again.run().traceHash)
                }
            }
            for _ in 0..<max(1, parallelism) {
                guard let seed = pending.popFirst() else { break }
                launch(seed)
            }
            for await (result, second) in group {
                summary.seeds += 1
                summary.steps += result.steps
                summary.violations += result.violations.count
                summary.acknowledged += result.stats.submitsAcknowledged
                summary.readsChecked += result.stats.readsChecked
                if result.config.productionFlowControl { summary.productionFlowControlSeeds += 1 }
                if result.livenessFailure != nil { summary.livenessFailures += 1 }
                if !result.passed { summary.failures.append(result) }
                if let second, second != result.traceHash {
                    summary.determinismFailures += 1
                    summary.nondeterministic.append(result.config.seed)
                }
                progress?(result)
                if let seed = pending.popFirst() { launch(seed) }
            }
        }
        summary.failures.sort { $0.config.seed < $1.config.seed }
        summary.nondeterministic.sort()
        return summary
    }
}
