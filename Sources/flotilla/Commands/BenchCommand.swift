import ArgumentParser
import FlotillaAPI
import Foundation
import Orchestrator

/// `flotilla bench`: measurements that print numbers (never asserted in tests).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Flotilla: replicated write throughput and latency.",
        subcommands: [BenchWrite.self]
    )
}

struct BenchWrite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Start a local cluster with --slots 0 and drive POST /v1/tasks over keep-alive.",
        discussion: "Each submit is one replicated, fsynced write. Prints: bench write: ops=N throughput=X/s p50=Yms p99=Zms errors=E"
    )

    @Option(help: "Nodes in the cluster.") var nodes = 3
    @Option(help: "Concurrent clients.") var clients = 64
    @Option(help: "How long to drive load, e.g. 20s.") var duration = "20s"
    @Option(help: "Use this cluster directory (kept afterwards) instead of a temporary one.") var dir: String?
    @Option(help: "Applied entries between snapshots on each node (to measure recovery of a long log).") var snapshotEvery: Int?
    @Option(help: "Instead of Flotilla, drive puts at an etcd JSON gateway at HOST:PORT (for comparison).") var etcd: String?

    func run() async throws {
        guard let seconds = Int(duration.trimmingCharacters(in: CharacterSet(charactersIn: "s"))), seconds > 0 else {
            throw ValidationError("--duration takes seconds, e.g. 20s")
        }
        guard clients >= 1, clients <= 4096 else { throw ValidationError("--clients must be 1 to 4096") }
        if let etcd {
            let client = AdminClient(token: nil)
            let result = await WriteBenchmark(clients: clients, duration: .seconds(seconds)).run(leader: etcd, client: client, target: .etcd)
            await client.shutdown()
            print(result.line.replacingOccurrences(of: "bench write:", with: "bench write (etcd \(etcd)):"))
            return
        }
        let directory = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-\(UUID().uuidString.prefix(8))").path
        let launcher = Launcher(directory: directory)
        let spec: ClusterSpec
        do {
            var args = ["--slots", "0", "--log-level", "warning"]
            if let snapshotEvery { args += ["--snapshot-every", "\(snapshotEvery)"] }
            spec = try launcher.create(nodes: nodes, nodeArgs: args)
            for n in spec.nodes { try launcher.start(n, spec: spec) }
        } catch {
            throw fail("\(error)")
        }
        let client = AdminClient(token: try launcher.token())
        defer {
            if dir == nil { try? FileManager.default.removeItem(atPath: directory) }
        }
        let members = spec.nodes.map { ($0.id, $0.adminAddress) }
        let deadline = ContinuousClock.now + .seconds(20)
        var view = await ClusterView.fetch(members, client: client)
        while view.leader == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            view = await ClusterView.fetch(members, client: client)
        }
        guard let leader = view.leader else {
            for n in spec.nodes { _ = await launcher.stop(n) }
            throw fail("no leader within 20 s")
        }
        let result = await WriteBenchmark(clients: clients, duration: .seconds(seconds)).run(leader: leader.adminAddress, client: client)
        for n in spec.nodes { _ = await launcher.stop(n) }
        await client.shutdown()
        print(result.line)
    }
}
