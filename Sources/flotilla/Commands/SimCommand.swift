import ArgumentParser
import Foundation
import Simulation

/// `flotilla sim`: runs seeded simulations of a whole cluster under faults and checks
/// Raft's safety properties and the task queue's promises after every step.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run deterministic cluster simulations under faults and check every invariant.",
        discussion: """
            Each seed drives one simulated cluster (virtual network, crashes, partitions, \
            membership changes, leadership transfers, a client workload). A failing seed \
            prints the command that reproduces it exactly.
            The last line reads: sim: seeds=N steps=TOTAL violations=V liveness_failures=L elapsed=SECONDS
            """
    )

    @Option(help: "How many seeds to run (starting at --seed, or at 1).")
    var seeds: Int?

    @Option(help: "Run this seed (with --seeds: the first of the range).")
    var seed: UInt64?

    @Option(help: "Voters at the start of each run.")
    var nodes: Int = 5

    @Option(help: "Ticks (10 ms each) of the faulty phase of each run.")
    var steps: Int = 2000

    @Flag(help: "Run every seed twice and compare the trace hashes.")
    var checkDeterminism = false

    @Flag(help: "Run without faults (a sanity baseline).")
    var noFaults = false

    @Flag(help: "Start every node on empty storage and found the cluster through the founder check, restarting founders while they decide.")
    var foundFromEmpty = false

    @Flag(help: "Print the trace of each run (use with one --seed).")
    var trace = false

    @Flag(help: "Print each seed's trace hash, to compare runs across processes and machines.")
    var hashes = false

    @Option(help: "Seeds run in parallel (default: the number of cores).")
    var jobs: Int?

    @Option(help: ArgumentHelp("Plant a bug in the simulated runtime to watch the checker catch it: \(InjectedBug.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "bug"))
    var injectBug: InjectedBug?

    @Option(help: "Chance per tick that a quiet cluster gets a new fault.")
    var faultRate: Double?

    @Option(help: ArgumentHelp("How long a partition or crash lasts, in ticks.", valueName: "min-max"))
    var faultTicks: String?

    func validate() throws {
        guard nodes >= 1, nodes <= 15 else { throw ValidationError("--nodes must be between 1 and 15") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        if let faultRate, !(0...1).contains(faultRate) { throw ValidationError("--fault-rate must be between 0 and 1") }
        _ = try parsedFaultTicks()
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func parsedFaultTicks() throws -> ClosedRange<Int>? {
        guard let faultTicks else { return nil }
        let parts = faultTicks.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 1, parts[0] <= parts[1] else {
            throw ValidationError("--fault-ticks takes MIN-MAX, e.g. 10-60")
        }
        return parts[0]...parts[1]
    }

    func run() async throws {
        let first = seed ?? 1
        let count = seeds ?? (seed == nil ? 100 : 1)
        let list = (0..<count).map { first &+ UInt64($0) }
        var template = SimulationConfig(seed: first)
        template.nodes = nodes
        template.steps = steps
        template.faults = !noFaults
        template.foundFromEmpty = foundFromEmpty
        template.keepTrace = trace
        template.injectedBug = injectBug
        if let faultRate { template.faultRate = faultRate }
        if let range = try parsedFaultTicks() { template.faultTicks = range }
        let clock = ContinuousClock()
        let start = clock.now
        let summary = await SeedRunner.run(
            seeds: list, template: template,
            parallelism: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
            checkDeterminism: checkDeterminism
        ) { result in
            if trace {
                for line in result.trace { print("seed \(result.config.seed) \(line)") }
            }
            if hashes {
                print("seed \(result.config.seed) trace \(String(result.traceHash, radix: 16)) steps \(result.steps)")
            }
        }
        for failure in summary.failures {
            print("seed \(failure.config.seed) FAILED")
            for v in failure.violations.prefix(10) { print("  \(v)") }
            if failure.violations.count > 10 { print("  … \(failure.violations.count - 10) more") }
            if let l = failure.livenessFailure { print("  [liveness] \(l)") }
            print("  reproduce: \(failure.config.reproduceCommand)")
        }
        for s in summary.nondeterministic {
            print("seed \(s) is not deterministic: two runs traced differently")
            var config = template
            config.seed = s
            print("  reproduce: \(config.reproduceCommand) --check-determinism")
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("sim: seeds=\(summary.seeds) steps=\(summary.steps) acked=\(summary.acknowledged) reads_checked=\(summary.readsChecked) "
            + "production_flow_seeds=\(summary.productionFlowControlSeeds) violations=\(summary.violations) liveness_failures=\(summary.livenessFailures) elapsed=\(String(format: "%.2f", seconds))")
        if summary.violations > 0 || summary.livenessFailures > 0 || summary.determinismFailures > 0 {
            throw ExitCode(1)
        }
    }
}

extension InjectedBug: ExpressibleByArgument {}
