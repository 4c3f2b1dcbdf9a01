import ArgumentParser
import FlotillaAPI
import Foundation
import Orchestrator

/// `flotilla console`: starts (or attaches to) a local cluster and shows it live.
/// This is the plain-terminal view: a status table and the leader's recent events, redrawn
/// every refresh. The full-screen ncurses console with fault keys is being built on it.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Watch a local cluster live (starts a 3-node cluster in a temp dir by default).",
        discussion: "Ctrl-C quits and stops the cluster it started (unless --keep). Fault injection from the console is not available yet: use curl against the admin API meanwhile."
    )

    @Option(help: "Nodes to start.") var nodes = 3
    @Option(help: "Use (or create) this cluster directory instead of a temporary one.") var dir: String?
    @Option(help: "Redraw interval in ms (at least 50).") var refresh = 200
    @Flag(help: "Leave the cluster running on exit.") var keep = false

    func run() async throws {
        let directory = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-console-\(UUID().uuidString.prefix(8))").path
        let launcher = Launcher(directory: directory)
        let spec: ClusterSpec
        do {
            spec = launcher.exists ? try launcher.load() : try launcher.create(nodes: nodes, nodeArgs: ["--slots", "2"])
            for n in spec.nodes { try launcher.start(n, spec: spec) }
        } catch {
            throw fail("\(error)")
        }
        let client = try ClusterClient.local(launcher)
        let stop = StopSignal()
        for await view in client.snapshots(every: .milliseconds(max(50, refresh))) {
            if stop.requested { break }
            var events: [NodeEvent] = []
            if let leader = view.leader {
                events = (try? await client.admin.call("GET", leader.adminAddress, "/v1/events/recent?limit=8")) ?? []
            }
            draw(view, events: events, directory: directory)
        }
        print("\u{1B}[?25h")
        if !keep && dir == nil {
            for n in spec.nodes { _ = await launcher.stop(n) }
            try? FileManager.default.removeItem(atPath: directory)
            print("stopped the cluster")
        } else if !keep {
            for n in spec.nodes { _ = await launcher.stop(n) }
            print("stopped the cluster in \(directory)")
        } else {
            print("the cluster keeps running in \(directory); stop it with: flotilla down --dir \(directory)")
        }
        await client.shutdown()
    }

    func draw(_ view: ClusterSnapshot, events: [NodeEvent], directory: String) {
        let leader = view.leader
        let header = "flotilla · \(view.headline)"
        var out = "\u{1B}[H\u{1B}[2J\u{1B}[?25l"
        out += header + "\n\n" + view.table() + "\n\n"
        if !events.isEmpty {
            out += "events (\(leader?.id ?? "-")):\n"
            for e in events { out += "  \(formatUptime(e.atMs)) [\(e.kind)] \(e.message)\n" }
            out += "\n"
        }
        out += "cluster: \(directory)   Ctrl-C quits\n"
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}

/// Set once SIGINT or SIGTERM arrives.
final class StopSignal: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let flag = NSLock()
    private var value = false

    init() {
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            sources.append(s)
        }
        self.sources = sources
        for s in sources {
            s.setEventHandler { [weak self] in self?.set() }
            s.resume()
        }
    }

    private func set() { flag.lock(); value = true; flag.unlock() }

    var requested: Bool { flag.lock(); defer { flag.unlock() }; return value }
}
