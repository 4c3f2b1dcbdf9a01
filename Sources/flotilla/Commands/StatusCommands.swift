import ArgumentParser
import FlotillaAPI
import Foundation
import Orchestrator

/// `flotilla status`: one row per node.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show every node: role, term, leader, commit, lag, health, tasks.")

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "Redraw until Ctrl-C.") var watch = false
    @Option(help: "Redraw interval with --watch, e.g. 500ms.") var interval = "500ms"

    func run() async throws {
        let every = try parseDuration(interval, "--interval")
        if watch { return try await watchStatus(every: every) }
        if let etcd = EtcdEngine.attach(directory: cluster.directory, connect: cluster.connect) { return try await etcdStatus(etcd) }
        let control = try await cluster.control(silentOK: true)
        defer { Task { await finish(control) } }
        // The kernel's cuts join the nodes' own (the cut line, the fault lines), as in the console.
        let reader = KernelFaultReader(kernel: control.kernelFaults, delays: control.packetDelays)
        let s = await reader.marking(await control.snapshot())
        let kernel = await kernelLine(reader)
        cluster.print(s) {
            s.report() + (s.pending.isEmpty ? "" : "\n\npending joins: \(s.pending.map(\.id).joined(separator: ", ")) (flotilla approve ID)") + kernel
        }
        // Every node is shown, down ones with why; a cluster that answers nowhere still fails the command.
        if s.live.isEmpty { throw cluster.silence() }
    }

    /// `--watch`: a session's rounds redrawn until Ctrl-C (the changes it observes go to stderr).
    func watchStatus(every: Duration) async throws {
        var options = SessionOptions()
        options.interval = every
        options.monitor = false
        options.stopOnSignal = true
        let session = try await cluster.session(options, silentOK: true)
        let json = cluster.output == .json
        // The kernel's tables are read at most once a second, however fast the redraw.
        let reader = kernelReader(of: session.engine)
        _ = try? await session.run { session in
            for await tick in session.ticks() {
                let s = await reader.marking(tick.snapshot)
                if json {
                    print(jsonText(s).replacingOccurrences(of: "\n", with: ""))
                    continue
                }
                let kernel = await kernelLine(reader)
                print("\u{1B}[H\u{1B}[2J" + "\(session.engine.kind) · \(s.headline)\n\n" + s.report() + kernel + "\n\nCtrl-C quits")
            }
        }
    }
}

extension StatusCommand {
    /// The kernel's faults of whichever engine a session drives, read at most once a second.
    func kernelReader(of engine: any Engine) -> KernelFaultReader {
        if let etcd = engine as? EtcdEngine { return KernelFaultReader(kernel: etcd.kernelFaults, delays: etcd.packetDelays) }
        if let flotilla = engine as? FlotillaEngine {
            return KernelFaultReader(kernel: flotilla.control.kernelFaults, delays: flotilla.control.packetDelays)
        }
        return KernelFaultReader(kernel: nil, delays: nil)
    }

    /// For a cluster in network namespaces, the rules of its nftables table as `reader` last read
    /// them: `kernel faults (…): cut n1->n2, loss n2->n3 30%`, and a line for kernel delays with
    /// their releaser's counts. Empty on loopback.
    func kernelLine(_ reader: KernelFaultReader) async -> String {
        guard let kernel = reader.kernel else { return "" }
        let reading = await reader.reading()
        let rules = reading.links.isEmpty ? "none" : reading.links.map(\.description).joined(separator: ", ")
        var line = "\n\nkernel faults (nftables table bridge \(kernel.table) in \(kernel.lab.switchNamespace)): \(rules)"
        if let delays = reader.delays {
            // Delay, jitter and reordering: NFQUEUE rules in the switch's `ip filter` table, and the run's releaser.
            let held = reading.delays.map(\.description)
            if !held.isEmpty || delays.releaserPid() != nil {
                line += "\nkernel delay (NFQUEUE, table \(PacketDelays.table) in \(kernel.lab.switchNamespace)): "
                    + (held.isEmpty ? "none" : held.joined(separator: ", ")) + "; " + (delays.stats()?.summary ?? "no releaser running")
            }
        }
        return line
    }

    /// The same table for a local etcd cluster's members.
    func etcdStatus(_ etcd: EtcdEngine) async throws {
        let reader = kernelReader(of: etcd)
        let s = await reader.marking(await etcd.snapshot())
        let kernel = await kernelLine(reader)
        cluster.print(s) { s.report() + kernel }
        await etcd.shutdown()
        if s.live.isEmpty { throw cluster.silence() }
    }
}

/// `flotilla members`: the membership as the leader knows it.
struct MembersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "members", abstract: "List the members: voters, learners and pending joins.")

    @OptionGroup var cluster: ClusterOptions

    struct Row: Encodable {
        var id: String
        var raftAddress: String
        var adminAddress: String
        var role: String
        var up: Bool
    }

    func run() async throws {
        try await perform(cluster, { control in
            let s = await control.snapshot()
            var rows = s.members.map { m in
                Row(id: m.id, raftAddress: m.raftAddress, adminAddress: m.adminAddress,
                    role: m.voter ? (s.leader?.id == m.id ? "voter (leader)" : "voter") : "learner", up: s.node(m.id)?.up ?? false)
            }
            rows += s.pending.map { Row(id: $0.id, raftAddress: $0.raftAddress, adminAddress: $0.adminAddress, role: "pending", up: true) }
            return rows
        }, table: { rows in
            TextTable.render(["ID", "ROLE", "RAFT", "ADMIN", "UP"], rows.map { [$0.id, $0.role, $0.raftAddress, $0.adminAddress, $0.up ? "yes" : "no"] })
        })
    }
}
