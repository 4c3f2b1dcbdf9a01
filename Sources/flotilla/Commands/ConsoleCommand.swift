import ArgumentParser
import FlotillaAPI
import Foundation
import Orchestrator
import Console

/// `flotilla console`: the operator console on a local cluster (started in a temp dir by
/// default) or on running nodes (`--connect`).
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The operator console: watch a cluster live and break it on purpose.",
        discussion: """
            With no options it starts a 3-node cluster in a temp dir and stops it on quit (unless --keep).
            Keys: arrows or j select a node; k kill, r restart, z pause/resume, p partition (isolate),
            h heal, t transfer, + add, - remove, a approve, s submit, l load, R recovery mode,
            d delay the node's links 100ms±20, o lose 10% of its messages, f fill its disk, w run its
            clock 3x (each again clears), / filter events, : command line (every CLI operation, e.g.
            :delay n1->n2 100ms 20ms, :disk n2 slow 50ms, :skew n3 0.5x), ? help, q quit.
            """
    )

    @Option(help: "Nodes to start.") var nodes = 3
    @Option(help: "Use (or create) this cluster directory instead of a temporary one.") var dir: String?
    @Option(help: "Attach to running nodes, HOST:PORT[,…] (token from $FLOTILLA_TOKEN), or etcd://HOST:PORT[,…].") var connect: String?
    @Option(help: "Theme name (themes/NAME.toml or $XDG_CONFIG_HOME/flotilla/themes).") var theme = "default"
    @Option(help: "Refresh interval in ms (at least 50).") var refresh = 200
    @Option(help: "Recovery: off, advise or auto.") var recover: RecoveryMode = .advise
    @Flag(help: "Watch only: every fault key is disabled.") var readonly = false
    @Flag(help: "No colours (also with NO_COLOR set).") var noColor = false
    @Flag(help: "Kill and remove without asking.") var noConfirm = false
    @Flag(help: "Leave the cluster running on exit.") var keep = false
    @Option(help: "Record the session's transcript to FILE (JSON Lines).") var record: String?
    @Option(help: "Record the screen to FILE as asciicast v2 (asciinema play FILE).") var recordCast: String?
    @Option(help: "Play a recorded transcript back (no cluster is started; fault keys are off).") var replay: String?

    func run() async throws {
        guard isatty(STDOUT_FILENO) == 1, isatty(STDIN_FILENO) == 1 else {
            throw fail("the console needs a terminal; for scripts use `flotilla status --watch`")
        }
        if dir != nil, connect != nil { throw fail("use either --dir or --connect, not both") }
        if replay != nil, dir != nil || connect != nil || record != nil {
            throw fail("--replay plays a file back without a cluster: it takes no --dir, --connect or --record")
        }
        let (loaded, warning) = Theme.load(theme)
        var options = ConsoleApp.Options()
        options.refresh = .milliseconds(max(50, refresh))
        options.readonly = readonly
        options.confirm = !noConfirm
        options.recovery = recover
        options.color = !noColor && ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) != false
        options.theme = loaded
        options.castPath = recordCast

        if let replay {
            let transcript: Transcript
            do { transcript = try Transcript.read(replay) } catch { throw fail("\(error)") }
            var playback = options
            playback.readonly = true
            let stop = StopSignal()
            PlaybackApp(transcript: transcript, options: playback, warning: warning).run { stop.requested }
            return
        }

        if let etcd = EtcdEngine.attach(directory: dir ?? "", connect: connect) {
            if record != nil { throw fail("--record on an etcd cluster is not built yet") }
            if let warning { etcd.events.emit(.action, "theme: \(warning)", reason: "startup", ok: false) }
            let stop = StopSignal()
            await ConsoleApp(engine: etcd, options: options).run { stop.requested }
            await etcd.shutdown()
            return
        }
        var launcher: Launcher?
        var started: ClusterSpec?
        var attached = false
        let client: ClusterClient
        do {
            if let connect {
                client = try await ClusterClient.connect(connect.split(separator: ",").map(String.init),
                                                         token: ProcessInfo.processInfo.environment["FLOTILLA_TOKEN"])
            } else {
                let directory = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-console-\(UUID().uuidString.prefix(8))").path
                let l = Launcher(directory: directory)
                let spec = l.exists ? try l.load() : try l.create(nodes: nodes, nodeArgs: ["--slots", "2"])
                // A cluster that already runs (`flotilla up`) is only attached to: quitting leaves it running.
                attached = spec.nodes.contains { l.pid(of: $0) != nil }
                for n in spec.nodes { try l.start(n, spec: spec) }
                launcher = l
                started = spec
                client = try ClusterClient.local(l)
            }
        } catch {
            throw fail("\(error)")
        }
        let control = ClusterControl(client: client)
        if let warning { control.events.emit(.action, "theme: \(warning)", reason: "startup", ok: false) }
        if let record {
            do {
                let first = await client.poll()
                let cluster = started.map { TranscriptHeader.Cluster($0) } ?? TranscriptHeader.Cluster(nodes: first.nodes.count, ids: first.nodes.map(\.id))
                let size = terminalSize()
                var header = TranscriptHeader(started: Date(), cluster: cluster, recover: recover.rawValue,
                                              terminal: .init(width: size.width, height: size.height), source: "console")
                header.net = TranscriptHeader.net((started ?? (try? client.launcher?.load()))?.network)
                options.recorder = TranscriptRecorder(writer: try TranscriptWriter.create(record, header: header), events: control.events)
            } catch {
                await client.shutdown()
                if let launcher, !attached { for n in started?.nodes ?? [] { _ = await launcher.stop(n) } }
                throw fail("\(error)")
            }
        }
        let stop = StopSignal()
        await ConsoleApp(control: control, options: options).run { stop.requested }
        await client.shutdown()
        if let recorder = options.recorder {
            recorder.stop()
            recorder.writer.sync()
            print("transcript: \(recorder.writer.linesWritten) lines in \(recorder.writer.path)" + (recorder.writer.failure.map { " (lines lost: \($0))" } ?? ""))
        }
        if let recordCast { print("screen recording: \(recordCast) (asciinema play \(recordCast))") }
        guard let launcher, let spec = started else { return }
        if attached {
            print("the cluster in \(launcher.directory) was running before the console: it keeps running")
            return
        }
        if keep {
            print("the cluster keeps running in \(launcher.directory); stop it with: flotilla down --dir \(launcher.directory)")
            return
        }
        for n in (try? launcher.load().nodes) ?? spec.nodes { _ = await launcher.stop(n) }
        if dir == nil {
            try? FileManager.default.removeItem(atPath: launcher.directory)
            print("stopped the cluster")
        } else {
            print("stopped the cluster in \(launcher.directory)")
        }
    }
}

/// The terminal's size, for the transcript header.
func terminalSize() -> (width: Int, height: Int) {
    var w = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &w) == 0 else { return (80, 24) }
    return (Int(w.ws_col), Int(w.ws_row))
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
