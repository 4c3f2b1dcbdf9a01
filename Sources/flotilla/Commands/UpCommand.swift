import ArgumentParser
import FlotillaAPI
import Foundation
import Orchestrator

/// `flotilla up`: starts a local cluster in the background.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start a local cluster of N nodes in the background.",
        discussion: "Node flags after -- are passed to every node, e.g. `flotilla up --nodes 3 -- --slots 2 --election-ms 500`."
    )

    @Option(help: "How many nodes.") var nodes = 3
    @Option(help: "Cluster directory.") var dir = "./flotilla-cluster"
    @Option(help: "Tasks each node runs at once.") var slots: Int?
    @Option(help: "Heartbeat interval in ms.") var heartbeatMs: Int?
    @Option(help: "Base election timeout in ms.") var electionMs: Int?
    @Argument(parsing: .postTerminator, help: "Extra `flotilla node` flags for every node.") var nodeArgs: [String] = []

    func run() async throws {
        let launcher = Launcher(directory: dir)
        var args = nodeArgs
        if let slots { args += ["--slots", "\(slots)"] }
        if let heartbeatMs { args += ["--heartbeat-ms", "\(heartbeatMs)"] }
        if let electionMs { args += ["--election-ms", "\(electionMs)"] }
        let spec: ClusterSpec
        do {
            spec = launcher.exists ? try launcher.load() : try launcher.create(nodes: nodes, nodeArgs: args)
        } catch {
            throw fail("\(error)")
        }
        for node in spec.nodes {
            do {
                let pid = try launcher.start(node, spec: spec)
                print("started \(node.id) (pid \(pid)) raft \(node.raftAddress) admin \(node.adminAddress)")
            } catch {
                throw fail("cannot start \(node.id): \(error)")
            }
        }
        let client = AdminClient(token: try launcher.token())
        defer { Task { await client.shutdown() } }
        let members = spec.nodes.map { ($0.id, $0.adminAddress) }
        let deadline = ContinuousClock.now + .seconds(15)
        var view = await ClusterView.fetch(members, client: client)
        while view.leader == nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            view = await ClusterView.fetch(members, client: client)
        }
        print(view.table())
        guard let leader = view.leader else {
            throw fail("no leader was elected within 15 s; see the logs in \(launcher.directory)/n*/node.log")
        }
        print("\nleader \(leader.id), term \(leader.term). Token: \(spec.tokenFile). Stop with: flotilla down --dir \(dir)")
        await client.shutdown()
    }
}

/// `flotilla down`: stops every node of a local cluster.
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop every node of a local cluster.")

    @Option(help: "Cluster directory.") var dir = "./flotilla-cluster"
    @Flag(help: "Also delete the cluster directory and all its data.") var purge = false

    func run() async throws {
        let launcher = Launcher(directory: dir)
        let spec: ClusterSpec
        do { spec = try launcher.load() } catch { throw fail("\(error)") }
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
        if purge {
            try FileManager.default.removeItem(atPath: launcher.directory)
            print("removed \(launcher.directory)")
        }
    }
}

/// `flotilla status`: one row per node.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show every node: role, term, leader, commit, lag, health, tasks.")

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let (members, client): ([(id: String, admin: String)], AdminClient)
        do { (members, client) = try await cluster.resolve() } catch { throw fail("\(error)") }
        let view = await ClusterView.fetch(members, client: client)
        await client.shutdown()
        switch cluster.output {
        case .table:
            print(view.table())
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Row: Encodable { var id: String; var adminAddress: String; var status: NodeStatus?; var error: String? }
            let rows = view.rows.map { Row(id: $0.id, adminAddress: $0.adminAddress, status: $0.status, error: $0.error) }
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        }
        if view.rows.allSatisfy({ $0.status == nil }) { throw fail("no node answers") }
    }
}
