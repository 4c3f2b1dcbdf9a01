import ArgumentParser
import FlotillaAPI
import Foundation
import Orchestrator
import Console
import HistoryCheck

/// `flotilla bench`: measurements that print numbers (never asserted in tests).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Flotilla: replicated write throughput and latency, task scheduling, leader failover, the history checker, console frame time.",
        subcommands: [BenchWrite.self, BenchTasks.self, BenchSoak.self, BenchFailover.self, BenchCheck.self, BenchConsole.self, BenchSnapshot.self]
    )
}

struct BenchWrite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Start a local cluster with --slots 0 and drive POST /v1/tasks over keep-alive connections.",
        discussion: """
            Each submit is one replicated, fsynced write. The load generator is wrk-like (poll(2), no HTTP library) and \
            reports its own CPU use beside the nodes'. With --vs-etcd it also starts a 3-node etcd from PATH and drives \
            puts at its JSON gateway the same way, in turns with Flotilla; with --wrk it runs wrk on the same cluster too. \
            Each round prints: bench write (TARGET): ops=N throughput=X/s p50=Yms p99=Zms in_flight=F errors=E client_cpu=C cores \
            [server_cpu=S cores], then medians over the rounds and their ratios.
            """
    )

    @Option(help: "Nodes in the cluster.") var nodes = 3
    @Option(help: "Concurrent keep-alive connections.") var clients = 64
    @Option(help: "Load generator threads.") var threads = 2
    @Option(help: "How long each round drives load, e.g. 10s.") var duration = "10s"
    @Option(help: "Rounds (medians are printed over them).") var rounds = 3
    @Option(help: "Use this cluster directory (kept afterwards) instead of a temporary one.") var dir: String?
    @Option(help: "Applied entries between snapshots on each node (to measure recovery of a long log).") var snapshotEvery: Int?
    @Option(help: "Also drive puts at an etcd JSON gateway at HOST:PORT (its leader), in turns with Flotilla.") var etcd: String?
    @Flag(help: "Also start a local 3-node etcd (from PATH) and drive it in turns with Flotilla.") var vsEtcd = false
    @Flag(help: "Also run wrk (from PATH) against the same leader each round, to check this load generator against it.") var wrk = false

    func run() async throws {
        let seconds = try parseDuration(duration, "--duration")
        guard clients >= 1, clients <= 4096 else { throw ValidationError("--clients must be 1 to 4096") }
        guard rounds >= 1, rounds <= 20, threads >= 1, threads <= 64 else { throw ValidationError("--rounds 1 to 20, --threads 1 to 64") }
        if wrk, Wrk.executable() == nil { throw ValidationError("--wrk needs wrk on PATH (Debian: apt-get install wrk)") }
        if vsEtcd, EtcdLocalCluster.etcdOnPath() == nil { throw ValidationError("--vs-etcd needs etcd on PATH (Debian: apt-get install etcd-server)") }
        // With no slots no task ever finishes, so admission's --max-unfinished (50,000 by default)
        // would refuse every write past the 50,000th with 429: the bench measures writes, not that.
        var args = ["--slots", "0", "--max-unfinished", "0", "--log-level", "warning"]
        if let snapshotEvery { args += ["--snapshot-every", "\(snapshotEvery)"] }
        let flotilla: FlotillaEngine
        let cluster: TemporaryCluster
        do {
            (flotilla, cluster) = try await TemporaryCluster.flotilla(nodes: nodes, nodeArgs: args, directory: dir, purpose: "bench")
        } catch {
            throw fail("\(error)")
        }
        guard let launcher = flotilla.control.client.launcher, let spec = try? launcher.load() else { throw fail("the bench cluster has no spec") }
        var etcdCluster: EtcdEngine?
        var etcdTemporary: TemporaryCluster?
        func cleanUp() async {
            await flotilla.shutdown()
            _ = await cluster.tearDown(failed: false)
            _ = await etcdTemporary?.tearDown(failed: false)
        }
        var results: [String: [WriteBenchmark.Result]] = [:]
        var wrkResults: [Wrk.Result] = []
        do {
            if vsEtcd {
                // On the disk Flotilla's nodes write to: a member's tmpfs (as root) would spare etcd its fsyncs.
                (etcdCluster, etcdTemporary) = try await TemporaryCluster.etcd(members: 3, directory: nil, purpose: "bench-etcd", disks: false)
            }
            let token = try launcher.token()
            let bench = WriteBenchmark(clients: clients, duration: seconds, threads: threads)
            for _ in 1...rounds {
                let (s, ok) = await flotilla.wait(for: .seconds(20)) { $0.leader != nil }
                guard ok, let leader = s.leader else { throw OrchestratorError("no leader within 20 s") }
                let pids = spec.nodes.compactMap { launcher.pid(of: $0) }
                let f = try await bench.run(at: leader.adminAddress, target: .flotilla(token: token), serverPids: pids)
                print(f.line)
                results["flotilla", default: []].append(f)
                if wrk {
                    let w = try await Wrk.run(at: leader.adminAddress, token: token, connections: clients, threads: threads,
                                              seconds: Int(seconds.components.seconds))
                    print(w.line)
                    wrkResults.append(w)
                }
                if let address = await etcdAddress(etcdCluster) {
                    let e = try await bench.run(at: address, target: .etcd, serverPids: etcdCluster?.pids() ?? [])
                    print(e.line)
                    results["etcd", default: []].append(e)
                }
            }
        } catch {
            await cleanUp()
            throw fail("\(error)")
        }
        await cleanUp()
        for line in WriteBenchmark.summary(results, wrk: wrkResults, connections: clients) { print(line) }
    }

    /// Where to send etcd's puts: the given gateway, or the started cluster's leader.
    func etcdAddress(_ started: EtcdEngine?) async -> String? {
        if let etcd { return etcd }
        return await started?.leaderAddress(within: .seconds(10))
    }
}

struct BenchTasks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks",
        abstract: "Submit tasks at a steady rate to a local cluster and measure how long they wait for a slot and to finish.",
        discussion: """
            The times are the cluster's own: the leader's clock at the submit, the worker's at the start and the finish.
            Prints the queue length every half second, then: bench tasks: submitted=N measured=M finished=F submit_errors=E \
            to_running_p50=… to_running_p99=… to_done_p50=… to_done_p99=… queue_max=Q queue_last_quarter_mean=M
            """
    )

    @Option(help: "Nodes in the cluster.") var nodes = 3
    @Option(help: "Task slots per node.") var slots = 4
    @Option(help: "Submits per second.") var rate = 20.0
    @Option(help: "How long to submit, e.g. 20s.") var duration = "20s"
    @Option(help: "Task kind: sleep, echo, hash.") var kind = "sleep"
    @Option(name: .customLong("arg"), help: "A task argument KEY=VALUE (repeatable); default ms=200 for sleep.") var args: [String] = []

    func run() async throws {
        let seconds = try parseDuration(duration, "--duration")
        guard rate > 0, rate <= 10_000, nodes >= 1, slots >= 1 else { throw ValidationError("--rate 0-10000, --nodes 1+, --slots 1+") }
        var taskArgs: [String: String] = kind == "sleep" ? ["ms": "200"] : kind == "echo" ? ["text": "bench"] : [:]
        for a in args {
            let parts = a.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--arg takes KEY=VALUE (got \(a))") }
            taskArgs[parts[0]] = parts[1]
        }
        let bench = TaskBenchmark(rate: rate, duration: seconds, submission: TaskSubmission(kind: kind, args: taskArgs))
        let run: TaskBenchmark.LocalRun
        do {
            run = try await TaskBenchmark.local(bench, nodes: nodes, slots: slots)
        } catch {
            throw fail("\(error)")
        }
        print(run.result.queueLine)
        print(run.result.line)
        print("bench tasks: node_rss_mb \(run.rss) node_private_mb \(run.privateMB)")
    }
}

struct BenchSoak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Drive a sustained write load at a local cluster and sample each node's memory, to show retention keeps it flat.",
        discussion: """
            The nodes run the submitted echo tasks (--slots each), so tasks finish and retention removes them. Prints a line per --sample (each node's resident MB and the leader's task counts), then checks every acknowledged write turned up in the task table or among the keys remembered for removed tasks, and ends with: bench soak: acked=N lost=L duplicated=D elections=E rss_start_mb=A rss_end_mb=B snapshot_hold_max_ms=H snapshot_hold_cpu_ms=C write_p999_ms=P write_max_ms=M (memory: the largest node's). Exits 1 when a write was lost or duplicated.
            """
    )

    @Option(help: "Nodes in the cluster.") var nodes = 3
    @Option(help: "Task slots per node.") var slots = 4
    @Option(help: "Submits per second.") var rate = 1_000.0
    @Option(help: "How long to submit, e.g. 5m.") var duration = "5m"
    @Option(help: "How often to sample memory, e.g. 10s.") var sample = "10s"
    @Argument(parsing: .postTerminator, help: "Extra `flotilla node` flags for every node, e.g. -- --retain-count 5000.") var nodeArgs: [String] = []

    func run() async throws {
        let seconds = try parseDuration(duration, "--duration")
        let every = try parseDuration(sample, "--sample")
        guard rate > 0, rate <= 10_000, nodes >= 1, slots >= 1 else { throw ValidationError("--rate 0-10000, --nodes 1+, --slots 1+") }
        guard every >= .milliseconds(100) else { throw ValidationError("--sample must be at least 100ms") }
        let bench = SoakBenchmark(rate: rate, duration: seconds, sample: every, submission: TaskSubmission(kind: "echo", args: ["text": "soak"]))
        let result: SoakBenchmark.Result
        do {
            // Unbuffered, so a sample shows as it is taken also when the output goes to a file.
            result = try await bench.local(nodes: nodes, slots: slots, nodeArgs: nodeArgs) { FileHandle.standardOutput.write(Data(($0.line + "\n").utf8)) }
        } catch {
            throw fail("\(error)")
        }
        if !result.lost.isEmpty { print("lost: " + result.lost.prefix(10).joined(separator: ", ")) }
        if !result.duplicated.isEmpty { print("duplicated: " + result.duplicated.prefix(10).joined(separator: ", ")) }
        if result.unverified > 0 {
            print("unverified: \(result.unverified) remembered keys were forgotten before they were read (the key window "
                + "passed while reads of /v1/keys failed); a longer --key-window after -- keeps them")
        }
        print(result.line)
        if !result.lost.isEmpty || !result.duplicated.isEmpty { throw ExitCode(1) }
    }
}

struct BenchFailover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Take the leader away repeatedly under load; time each fault to the first write a new leader commits.",
        discussion: """
            --fault kill sends SIGKILL (peers see the sockets close); --fault partition isolates the leader silently \
            (no socket closes, the others notice when its heartbeats stop): with the nodes' filter on loopback, with \
            nftables when --net netns, where both engines take the same kernel cut (etcd takes partition only there). \
            --fault both runs each in turn; --engine both runs Flotilla, then etcd. Prints, per engine and fault: \
            bench failover (FAULT): engine=E trials=N p50=Xms p99=Yms max=Zms spurious_elections=S \
            (term changes while the cluster is left alone).
            """
    )

    @Option(help: "flotilla, etcd or both.") var engine = "flotilla"
    @Option(help: "kill, partition or both.") var fault = "both"
    @Option(help: "loopback, or netns: every member a host in a network namespace, partition an nftables cut (needs root).")
    var net: UpCommand.Net = .loopback
    @Option(help: "Nodes in the cluster.") var nodes = 3
    @Option(help: "Leader kills.") var trials = 20
    @Option(help: "Background writes per second.") var rate = 50.0
    @Option(help: "Afterwards, watch the idle cluster this long for spurious elections, e.g. 300s.") var idle = "0s"
    @Option(help: "Base election timeout in ms (etcd: --election-timeout, heartbeat a tenth of it).") var electionMs: Int?
    @Flag(help: "Print each trial.") var verbose = false

    func run() async throws {
        guard trials >= 1, nodes >= 3 else { throw ValidationError("failover needs --nodes 3 or more and --trials 1 or more") }
        let faults: [FailoverBenchmark.Fault]
        switch fault {
        case "both": faults = FailoverBenchmark.Fault.allCases
        default:
            guard let f = FailoverBenchmark.Fault(rawValue: fault) else { throw ValidationError("--fault is kill, partition or both (got \(fault))") }
            faults = [f]
        }
        let engines: [FailoverRun.EngineKind]
        switch engine {
        case "both": engines = FailoverRun.EngineKind.allCases
        default:
            guard let e = FailoverRun.EngineKind(rawValue: engine) else { throw ValidationError("--engine is flotilla, etcd or both (got \(engine))") }
            engines = [e]
        }
        let idleFor = try parseDuration(idle, "--idle")
        let runs = engines.map {
            FailoverRun(engine: $0, faults: faults, nodes: nodes, trials: trials, rate: rate, idle: idleFor, electionMs: electionMs, netns: net == .netns)
        }
        for r in runs { if let reason = await r.refusal() { throw fail(reason) } }
        let verbose = self.verbose
        var results: [FailoverBenchmark.Result] = []
        for r in runs {
            do {
                results += try await r.run { line in
                    if verbose { FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
                }
            } catch {
                for done in results { print(done.line) }
                throw fail("\(r.engine.rawValue): \(error)")
            }
        }
        for r in results { print(r.line) }
        let failed = results.map(\.failed).reduce(0, +)
        if failed > 0 { throw fail("\(failed) trial(s) saw no write committed within 10 s") }
    }
}

struct BenchConsole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Time building and diffing one console frame on the in-memory backend.",
        discussion: "A busy synthetic cluster: a leader under load, a learner catching up, a node down, one partitioned. Prints: bench console: frames=N p50=Xus p99=Yus"
    )

    @Option(help: "Nodes in the synthetic cluster.") var nodes = 9
    @Option(help: "Frames to draw.") var frames = 2000
    @Option(help: "Terminal width.") var width = 160
    @Option(help: "Terminal height.") var height = 45

    func run() async throws {
        guard nodes >= 3, nodes <= 64, frames >= 1, width >= 20, height >= 5 else {
            throw ValidationError("--nodes 3 to 64, --frames 1 or more, --width 20+, --height 5+")
        }
        print(ConsoleBenchmark(nodes: nodes, frames: frames, width: width, height: height).run().line)
    }
}

struct BenchCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Time the linearizability checker on generated honest histories.",
        discussion: "Prints, per run and as the median: bench check: operations=N clients=C seconds=S ops_per_second=X verdict=V"
    )

    @Option(help: "Operations in each history.") var operations = 10_000
    @Option(help: "Concurrent clients.") var clients = 16
    @Option(help: "Every Nth operation is a read of the whole set.") var readEvery = 4
    @Option(help: "Runs (each a new seed).") var runs = 3

    func run() async throws {
        guard operations >= 1, operations <= 1_000_000, clients >= 1, readEvery >= 1, runs >= 1 else {
            throw ValidationError("--operations 1 to 1000000, --clients 1+, --read-every 1+, --runs 1+")
        }
        var rates: [Double] = []
        for seed in 1...runs {
            let r = CheckBenchmark(operations: operations, clients: clients, readEvery: readEvery, seed: UInt64(seed)).run()
            print(String(format: "bench check: operations=%d clients=%d seconds=%.3f ops_per_second=%.0f verdict=%@",
                         r.operations, clients, r.seconds, r.opsPerSecond, r.verdict.word))
            guard case .linearizable = r.verdict else { throw fail("an honest history was not found linearizable: \(r.verdict)") }
            rates.append(r.opsPerSecond)
        }
        print(String(format: "bench check median of %d: ops_per_second=%.0f", runs, rates.sorted()[runs / 2]))
    }
}
