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

        let target: SessionTarget = connect.map { .connect($0, token: ProcessInfo.processInfo.environment["FLOTILLA_TOKEN"]) }
            ?? .local(directory: dir, nodes: nodes, nodeArgs: ["--slots", "2"], purpose: "console", leaveRunning: keep)
        let recover = self.recover
        let opening: ClusterSession.Opening
        do {
            opening = try await ClusterSession.open(target, options: ConsoleApp.sessionOptions(options), record: record.map { path in
                let size = terminalSize()
                return (path, { cluster in
                    TranscriptHeader(started: Date(), cluster: cluster, recover: recover.rawValue,
                                     terminal: .init(width: size.width, height: size.height), source: "console")
                })
            })
        } catch {
            throw fail("\(error)")
        }
        let session = opening.session
        if let warning { session.events.emit(.action, "theme: \(warning)", reason: "startup", ok: false) }
        let stop = StopSignal()
        await ConsoleApp(session: session, options: options).run { stop.requested }
        let owned = session.cluster != nil
        await session.close()
        if let recorder = session.recorder {
            print("transcript: \(recorder.writer.linesWritten) lines in \(recorder.writer.path)" + (recorder.writer.failure.map { " (lines lost: \($0))" } ?? ""))
        }
        if let recordCast { print("screen recording: \(recordCast) (asciinema play \(recordCast))") }
        guard connect == nil, let directory = opening.directory else { return }
        if opening.wasRunning {
            print("the cluster in \(directory) was running before the console: it keeps running")
        } else if !owned {
            print("the cluster keeps running in \(directory); stop it with: flotilla down --dir \(directory)")
        } else {
            print(dir == nil ? "stopped the cluster" : "stopped the cluster in \(directory)")
        }
    }
}

/// The terminal's size, for the transcript header.
func terminalSize() -> (width: Int, height: Int) {
    var w = winsize()
    guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &w) == 0 else { return (80, 24) }
    return (Int(w.ws_col), Int(w.ws_row))
}
