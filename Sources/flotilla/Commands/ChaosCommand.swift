import ArgumentParser
import Foundation
import Orchestrator

/// `flotilla chaos`: a seeded nemesis against a temporary local cluster under load, then the
/// total-queue check, the invariant monitor's verdict and the leader's return after each heal.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Break a temporary local cluster (Flotilla's or etcd) under load with seeded faults, then check nothing was lost.",
        discussion: """
            One fault at a time (kill, pause, partition, one-way, transfer, scale; link: delay, loss, \
            duplication or reordering on some links; disk: a slow or full disk; skew: a fast or slow clock), \
            each healed before \
            the next; the schedule is a pure function of --seed (--verbose prints it). Afterwards \
            everything is healed, the cluster settles, and every acknowledged submit must be in the \
            task table exactly once, nothing unexpected in it, no invariant broken, and a leader back \
            within 2 s of each heal. Every --read-every'th client operation is a linearizable read of the \
            task table, and the history of submits and reads is checked for linearizability (a failing \
            window is drawn as a timeline). The last line reads:
              chaos: seed=S faults=F acked=A lost=L duplicated=D unexpected=U violations=V max_unavailable_ms=M linearizable=ok
            and the exit status is 1 when L, D, U or V is above 0 or the history is not linearizable.
            """)

    @Option(help: "flotilla, or etcd (the `etcd` on PATH; the nemesis draws only the faults it takes: kill, pause, transfer, scale, and disk full as root).")
    var engine: UpCommand.Engine = .flotilla
    @Option(help: "Nodes in the cluster.") var nodes = 5
    @Option(help: "How long the nemesis runs, e.g. 120s or 2m.") var duration = "120s"
    @Option(help: "The seed of the fault schedule (default: random, printed).") var seed: UInt64?
    @Option(help: "Faults to draw from: kill,pause,partition,one-way,transfer,scale,link,disk,skew (default: all).") var faults = "all"
    @Option(help: "Client operations per second.") var rate = 20.0
    @Option(help: "Every Nth client operation is a linearizable read (0: none, and no linearizability check).") var readEvery = 4
    @Option(help: "A leader must be back this soon after each heal.") var liveness = "2s"
    @Option(help: "Use this cluster directory (kept afterwards) instead of a temporary one.") var dir: String?
    @Flag(help: "Keep the temporary cluster directory (it is always kept when the run fails).") var keep = false
    @Flag(help: "Print the schedule and every fault and heal as it happens.") var verbose = false

    func run() async throws {
        let length = try parseDuration(duration, "--duration")
        let bound = try parseDuration(liveness, "--liveness")
        guard (1...9).contains(nodes) else { throw ValidationError("--nodes must be between 1 and 9") }
        guard rate > 0, rate <= 200 else { throw ValidationError("--rate must be above 0 and at most 200") }
        guard rate * Double(length.components.seconds + 1) <= 9_000 else {
            throw ValidationError("--rate × --duration must stay under 9000 submits (the check reads the whole task table)")
        }
        let kinds: [ChaosFault]
        do { kinds = try ChaosFault.parseList(faults) } catch { throw ValidationError("\(error)") }
        let seed = self.seed ?? UInt64.random(in: 1...999_999)
        guard readEvery >= 0 else { throw ValidationError("--read-every must be 0 or more") }
        var config = ChaosConfig(seed: seed, duration: length, faults: kinds, rate: rate, livenessBound: bound)
        config.readEvery = readEvery
        let verbose = self.verbose
        let say: @Sendable (String) -> Void = { line in
            if verbose { FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
        }
        let result: (report: ChaosReport, kept: String?)
        do {
            result = try await ChaosRun.local(engine: engine.rawValue, nodes: nodes, config: config, directory: dir, keep: keep || dir != nil, log: say) { schedule in
                guard verbose else { return }
                // Unbuffered, so it comes before the progress lines on stderr.
                let lines = ["schedule (seed \(seed), \(schedule.count) faults):"] + schedule.map { "  \($0)" }
                FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            }
        } catch {
            throw fail("\(error)")
        }
        for line in result.report.summary { print(line) }
        if let kept = result.kept { print("cluster directory: \(kept)") }
        print(result.report.line)
        if result.report.failed { throw ExitCode(1) }
    }
}
