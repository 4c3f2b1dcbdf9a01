import ArgumentParser
import FlotillaAPI
import Foundation
import Orchestrator

/// `flotilla up`: starts a local cluster in the background, with a supervisor running recovery.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start a local cluster of N nodes in the background.",
        discussion: """
            Node flags after -- are passed to every node, e.g. `flotilla up --nodes 3 -- --snapshot-every 1000`.
            Unless --recover off, a supervisor (`flotilla supervise`) runs beside the nodes (or etcd members):
            it restarts nodes that die without an operator's kill, bootstraps an uninitialized cluster, and
            logs every finding to supervisor.log in the cluster directory.
            """
    )

    /// Which consensus system the cluster runs.
    enum Engine: String, ExpressibleByArgument, CaseIterable { case flotilla, etcd }

    @Option(help: "flotilla, or etcd (the `etcd` on PATH, members e1…eN with --pre-vote).") var engine: Engine = .flotilla
    /// Where the nodes' network is.
    enum Net: String, ExpressibleByArgument, CaseIterable { case loopback, netns }

    @Option(help: "loopback, or netns: each node (or etcd member) a host in a network namespace of its own; partitions and loss are then nftables rules (needs root).")
    var net: Net = .loopback
    @Option(help: "How many nodes.") var nodes = 3
    @Option(help: "Cluster directory.") var dir = "./flotilla-cluster"
    @Option(help: "Tasks each node runs at once.") var slots: Int?
    @Option(help: "Heartbeat interval in ms.") var heartbeatMs: Int?
    @Option(help: "Base election timeout in ms (etcd: for the supervisor's no-leader alert only, default 1000).") var electionMs: Int?
    @Option(help: "Recovery: off, advise or auto.") var recover: RecoveryMode = .auto
    @Option(help: "Two automatic actions on one node within this need an operator.") var recoverCooldown = "30s"
    @Option(help: "Propose replacing a member that is down this long, e.g. 5m.") var replaceAfter: String?
    @Flag(help: "Start the nodes uninitialized; recovery (auto) bootstraps them.") var uninitialized = false
    @Flag(help: "Hold joining nodes until `flotilla approve`.") var approveJoins = false
    @Option(help: "How long a finished task stays in each node's table, e.g. 10m (node default 1h).") var retain: String?
    @Option(help: "At most this many finished tasks stay in the table (node default 10000).") var retainCount: Int?
    @Option(help: "How long an idempotency key is remembered after its submit (node default 2m).") var keyWindow: String?
    @Argument(parsing: .postTerminator, help: "Extra `flotilla node` flags for every node.") var nodeArgs: [String] = []

    func run() async throws {
        let launcher = Launcher(directory: dir)
        // One directory, one cluster: starting the other engine beside it would leave processes
        // that `down` (which reads one of the two) never stops.
        if engine == .etcd, launcher.exists {
            throw fail("\(dir) holds a cluster of Flotilla's nodes (cluster.json): start it with `flotilla up --dir \(dir)`, or give etcd another --dir")
        }
        if engine != .etcd, EtcdLocalCluster.exists(in: dir) {
            throw fail("\(dir) holds an etcd cluster (etcd.json): start it with `flotilla up --engine etcd --dir \(dir)`, or give Flotilla's nodes another --dir")
        }
        if engine == .etcd { return try await upEtcd() }
        var args = nodeArgs
        if let slots { args += ["--slots", "\(slots)"] }
        if let heartbeatMs { args += ["--heartbeat-ms", "\(heartbeatMs)"] }
        if let electionMs { args += ["--election-ms", "\(electionMs)"] }
        if approveJoins { args.append("--approve-joins") }
        if let retain { _ = try parseDuration(retain, "--retain"); args += ["--retain", retain] }
        if let retainCount { args += ["--retain-count", "\(retainCount)"] }
        if let keyWindow { _ = try parseDuration(keyWindow, "--key-window"); args += ["--key-window", keyWindow] }
        if uninitialized, recover != .auto {
            FileHandle.standardError.write(Data("flotilla: note: with --recover \(recover.rawValue) nobody bootstraps the uninitialized nodes\n".utf8))
        }
        _ = try parseDuration(recoverCooldown, "--recover-cooldown")
        let spec: ClusterSpec
        do {
            spec = launcher.exists ? try launcher.load() : try await create(launcher, nodeArgs: args)
            if let lab = spec.network, !(try await lab.exists()) {
                try await lab.build()
                print("rebuilt the namespace lab \(lab.run) (\(lab.subnet).0/24)")
            }
            for node in spec.nodes {
                let pid = try launcher.start(node, spec: spec, mode: uninitialized ? .uninitialized : .founder)
                print("started \(node.id) (pid \(pid)) raft \(node.raftAddress) admin \(node.adminAddress)")
            }
            try startSupervisor(electionMs: electionMs ?? 300)
        } catch {
            throw fail("\(error)")
        }
        let client = try ClusterClient.local(launcher)
        let (s, ok) = await client.wait(for: .seconds(15)) { $0.leader != nil }
        await client.shutdown()
        print(s.table())
        guard ok, let leader = s.leader else {
            throw fail("no leader was elected within 15 s; see the logs in \(launcher.directory)/n*/node.log")
        }
        print("\nleader \(leader.id), term \(leader.term). Token: \(spec.tokenFile). Stop with: flotilla down --dir \(dir)")
    }
}

extension UpCommand {
    /// A new cluster directory; with `--net netns` the namespace lab is built first (and removed
    /// again when the directory cannot be made).
    func create(_ launcher: Launcher, nodeArgs: [String]) async throws -> ClusterSpec {
        guard net == .netns else { return try launcher.create(nodes: nodes, nodeArgs: nodeArgs) }
        return try await inNewLab(members: (1...max(1, nodes)).map { "n\($0)" }) { lab in
            try launcher.create(nodes: nodes, nodeArgs: nodeArgs, network: lab)
        }
    }

    /// Builds a namespace lab for `members` (after sweeping dead runs) and hands it to `make`;
    /// a failure removes the lab again.
    func inNewLab<T>(members: [String], _ make: (NetnsLab) async throws -> T) async throws -> T {
        if let why = await NetworkTool.unavailableReason() {
            throw OrchestratorError("--net netns: \(why); without --net netns the cluster runs on loopback"
                                    + (engine == .etcd ? " and etcd takes no network faults" : " and every fault goes through the nodes' own filter"))
        }
        let swept = (try? await NetnsLab.sweep()) ?? []
        if !swept.isEmpty { print("removed the namespaces of dead runs \(swept.joined(separator: ", "))") }
        let lab = try await NetnsLab.plan(members: members)
        try await lab.build()
        do {
            let made = try await make(lab)
            print("namespace lab \(lab.run): \(lab.subnet).0/24 on a bridge in \(lab.switchNamespace), the root namespace at \(lab.rootAddress); faults in nftables table bridge \(lab.tableName)")
            return made
        } catch {
            try? await lab.teardown()
            throw error
        }
    }

    /// Unless --recover off, starts `flotilla supervise` on `dir` in the background (one that runs
    /// already is kept), logging to supervisor.log there; `down` stops it before the members.
    /// `electionMs` is the members' base election timeout, for its no-leader alert.
    func startSupervisor(electionMs: Int) throws {
        guard recover != .off else { return }
        var args = ["--recover", recover.rawValue, "--recover-cooldown", recoverCooldown, "--election-ms", "\(electionMs)"]
        if let replaceAfter { args += ["--replace-after", replaceAfter] }
        let launcher = Launcher(directory: dir)
        let pid = try launcher.startSupervisor(args)
        print("started the supervisor (pid \(pid)), recovery \(recover.rawValue); log: \(launcher.directory)/supervisor.log")
    }

    /// A local etcd cluster in `dir`, with a supervisor as for Flotilla's nodes: flags after --
    /// go to every `etcd`.
    func upEtcd() async throws {
        _ = try parseDuration(recoverCooldown, "--recover-cooldown")
        do {
            let (etcd, s): (EtcdEngine, ClusterSnapshot)
            if net == .netns, !EtcdLocalCluster.exists(in: dir) {
                (etcd, s) = try await inNewLab(members: (1...max(1, nodes)).map { "e\($0)" }) { lab in
                    try await EtcdEngine.up(members: nodes, in: dir, memberArgs: nodeArgs, network: lab)
                }
            } else {
                if net == .netns, (try? EtcdLocalCluster(directory: dir, executable: "etcd").load().network) == nil {
                    FileHandle.standardError.write(Data("flotilla: note: \(dir) holds an etcd cluster on loopback; it stays there (--net netns makes a new cluster only)\n".utf8))
                }
                (etcd, s) = try await EtcdEngine.up(members: nodes, in: dir, memberArgs: nodeArgs)
            }
            await etcd.shutdown()
            // etcd's own election timeout is 1 s unless the members were given another.
            try startSupervisor(electionMs: electionMs ?? 1000)
            print(s.table())
            print("\nleader \(s.leader?.id ?? "-"), term \(s.leader?.term ?? 0). Stop with: flotilla down --dir \(dir)")
        } catch {
            throw fail("\(error)")
        }
    }
}

/// `flotilla down`: stops the supervisor and every node of a local cluster.
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop every node of a local cluster.")

    @Option(help: "Cluster directory.") var dir = "./flotilla-cluster"
    @Flag(help: "Also delete the cluster directory and all its data.") var purge = false

    func run() async throws {
        if EtcdLocalCluster.exists(in: dir) {
            await Launcher(directory: dir).stopSupervisor()
            let etcd = EtcdLocalCluster(directory: dir, executable: "etcd")
            guard await etcd.stopAll() else { throw fail("could not stop every etcd member in \(dir)") }
            print("stopped every etcd member in \(etcd.directory)")
            if (try? etcd.load().members.contains { $0.disk != nil }) == true {
                let stuck = etcd.releaseDisks(keepingData: !purge)
                guard stuck.isEmpty else { throw fail("could not unmount \(stuck.joined(separator: ", "))") }
                print(purge ? "unmounted every member's tmpfs" : "unmounted every member's tmpfs; their data waits beside it for the next up")
            }
            if let lab = try? etcd.load().network {
                do { try await lab.teardown() } catch { throw fail("\(error)") }
                print("removed the namespace lab \(lab.run) (namespaces, bridge, links, nftables table)")
            }
            if purge { try FileManager.default.removeItem(atPath: etcd.directory) }
            return
        }
        let launcher = Launcher(directory: dir)
        let spec: ClusterSpec
        do { spec = try launcher.load() } catch { throw fail("\(error)") }
        await launcher.stopSupervisor()
        var failed: [String] = []
        for node in spec.nodes {
            let wasRunning = launcher.pid(of: node) != nil
            if await launcher.stop(node) {
                print(wasRunning ? "stopped \(node.id)" : "\(node.id) was not running")
            } else {
                failed.append(node.id)
            }
        }
        guard failed.isEmpty else { throw fail("could not stop \(failed.joined(separator: ", "))") }
        if let lab = spec.network {
            do { try await lab.teardown() } catch { throw fail("\(error)") }
            print("removed the namespace lab \(lab.run) (namespaces, bridge, links, nftables table)")
        }
        if purge {
            try FileManager.default.removeItem(atPath: launcher.directory)
            print("removed \(launcher.directory)")
        }
    }
}
