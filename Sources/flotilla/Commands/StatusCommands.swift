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
        let s = await control.snapshot()
        let kernel = await kernelLine(control.kernelFaults, delays: control.packetDelays)
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
        _ = try? await session.run { session in
            for await tick in session.ticks() {
                let s = tick.snapshot
                if json {
                    print(jsonText(s).replacingOccurrences(of: "\n", with: ""))
                    continue
                }
                let kernel = await kernelLine(of: session.engine)
                print("\u{1B}[H\u{1B}[2J" + "\(session.engine.kind) · \(s.headline)\n\n" + s.report() + kernel + "\n\nCtrl-C quits")
            }
        }
    }
}

extension StatusCommand {
    /// For a cluster in network namespaces, the rules of its nftables table (which the nodes'
    /// own fault lines cannot show): `kernel faults (…): cut n1->n2, loss n2->n3 30%`, and a line
    /// for kernel delays with their releaser's counts.
    /// `kernelLine` for whichever engine a session drives.
    func kernelLine(of engine: any Engine) async -> String {
        if let etcd = engine as? EtcdEngine { return await kernelLine(etcd.kernelFaults) }
        if let flotilla = engine as? FlotillaEngine {
            return await kernelLine(flotilla.control.kernelFaults, delays: flotilla.control.packetDelays)
        }
        return ""
    }

    func kernelLine(_ faults: KernelFaults?, delays: PacketDelays? = nil) async -> String {
        guard let kernel = faults else { return "" }
        let rules: String
        do {
            let listed = try await kernel.rules()
            rules = listed.isEmpty ? "none" : listed.map(\.description).joined(separator: ", ")
        } catch {
            rules = "cannot be read: \(error)"
        }
        var line = "\n\nkernel faults (nftables table bridge \(kernel.table) in \(kernel.lab.switchNamespace)): \(rules)"
        if let delays {
            // Delay, jitter and reordering: NFQUEUE rules in the switch's `ip filter` table, and the run's releaser.
            let held = ((try? await delays.rules()) ?? []).map(\.description)
            if !held.isEmpty || delays.releaserPid() != nil {
                line += "\nkernel delay (NFQUEUE, table \(PacketDelays.table) in \(kernel.lab.switchNamespace)): "
                    + (held.isEmpty ? "none" : held.joined(separator: ", ")) + "; " + (delays.stats()?.summary ?? "no releaser running")
            }
        }
        return line
    }

    /// The same table for a local etcd cluster's members.
    func etcdStatus(_ etcd: EtcdEngine) async throws {
        let s = await etcd.snapshot()
        let kernel = await kernelLine(etcd.kernelFaults)
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
