import ArgumentParser
import FlotillaAPI
import Foundation
import Orchestrator
import Synchronization

/// How a command finds its cluster (a local cluster directory or running nodes' addresses)
/// and how it prints (`-o table|json`).
struct ClusterOptions: ParsableArguments {
    @Option(help: "Local cluster directory (default ./flotilla-cluster).") var dir: String?
    @Option(help: "Admin address(es) of running nodes, HOST:PORT[,…] (token from $FLOTILLA_TOKEN), or etcd://HOST:PORT[,…] for etcd members' client addresses.") var connect: String?
    @Option(name: [.customShort("o"), .long], help: "Output: table or json.") var output: OutputFormat = .table
    @Option(help: "Append what this command does and sees to a transcript (JSON Lines; created if missing).") var record: String?

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    var directory: String { dir ?? "./flotilla-cluster" }

    func validate() throws {
        if dir != nil, connect != nil { throw ValidationError("use either --dir or --connect, not both") }
    }

    /// The control plane for this cluster. Its events go to `printer`, by default progress lines
    /// on stderr (the operator's own actions left out: the command prints its outcome). A
    /// cluster that answers nowhere is an error, except for a local cluster's `silentOK` caller
    /// (status shows why its nodes are down).
    func control(silentOK: Bool = false, printer: (@Sendable (ControlEvent) -> Void)? = nil) async throws -> ClusterControl {
        let client: ClusterClient
        do {
            if let connect {
                let addresses = connect.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                client = try await ClusterClient.connect(addresses, token: ProcessInfo.processInfo.environment["FLOTILLA_TOKEN"])
            } else {
                client = try ClusterClient.local(Launcher(directory: directory))
            }
        } catch {
            throw fail("\(error)")
        }
        let control = ClusterControl(client: client)
        control.events.subscribe(printer ?? { e in
            guard e.kind != .action || e.reason != "operator" else { return }
            FileHandle.standardError.write(Data("  \(e.line)\n".utf8))
        })
        // A cluster that answers nowhere is an error for every command.
        let s = await client.poll()
        if s.live.isEmpty, !(silentOK && client.launcher != nil) {
            await client.shutdown()
            throw silence()
        }
        if let record {
            do {
                let writer = try TranscriptWriter.append(record) {
                    let spec = try? client.launcher?.load()
                    let cluster = spec.map { TranscriptHeader.Cluster($0) } ?? TranscriptHeader.Cluster(nodes: s.nodes.count, ids: s.nodes.map(\.id))
                    var header = TranscriptHeader(started: Date(), cluster: cluster, source: "cli")
                    header.net = TranscriptHeader.net(spec?.network)
                    return header
                }
                let recorder = TranscriptRecorder(writer: writer, events: control.events)
                recorder.observe(s)
                Recording.current.withLock { $0 = recorder }
            } catch {
                await client.shutdown()
                throw fail("\(error)")
            }
        }
        return control
    }

    /// A session over this cluster, on whichever engine runs it (etcd for `etcd://` or a
    /// directory `up --engine etcd` made), recording with `--record`; with a `printer`, every
    /// event of its engine goes there (instead of Flotilla's progress lines on stderr).
    func session(_ options: SessionOptions, silentOK: Bool = false,
                 printer: (@Sendable (ControlEvent) -> Void)? = nil) async throws -> ClusterSession {
        if let etcd = EtcdEngine.attach(directory: directory, connect: connect) {
            if let printer { etcd.events.subscribe(printer) }
            do {
                return ClusterSession(engine: etcd, options: options, recorder: try await recorder(for: etcd))
            } catch {
                await etcd.shutdown()
                throw fail("\(error)")
            }
        }
        let control = try await control(silentOK: silentOK, printer: printer)
        let recorder = Recording.current.withLock { r in
            defer { r = nil }
            return r
        }
        return ClusterSession(engine: FlotillaEngine(control: control), options: options, recorder: recorder)
    }

    /// With `--record`, a recorder appending what `engine` does and shows to the transcript (its
    /// header names the engine, so a replay starts the same kind of cluster).
    func recorder(for engine: any Engine) async throws -> TranscriptRecorder? {
        guard let record else { return nil }
        let s = await engine.snapshot()
        let writer = try TranscriptWriter.append(record) {
            var header = TranscriptHeader(started: Date(), cluster: TranscriptHeader.Cluster(nodes: s.nodes.count, ids: s.nodes.map(\.id)), source: "cli")
            header.engine = engine.kind
            header.net = TranscriptHeader.net(of: engine)
            return header
        }
        let recorder = TranscriptRecorder(writer: writer, events: engine.events)
        recorder.observe(s)
        return recorder
    }

    /// The error for a cluster no node of which answers.
    func silence() -> ExitCode {
        fail("no node of the cluster at \(connect ?? directory) answers" + (connect == nil ? " (is it running? `flotilla up --dir \(directory)`)" : ""))
    }

    /// Prints a value as JSON, or its table form.
    func print<T: Encodable>(_ value: T, table: () -> String) {
        switch output {
        case .table: Swift.print(table())
        case .json: Swift.print(jsonText(value))
        }
    }
}

func jsonText<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}

/// The transcript a command appends to (`--record`), if any.
enum Recording {
    static let current = Mutex<TranscriptRecorder?>(nil)
    static var recorder: TranscriptRecorder? { current.withLock { $0 } }
}

/// Ends a command: records the cluster as it is now (with --record) and closes the client.
func finish(_ control: ClusterControl) async {
    if let recorder = Recording.recorder {
        recorder.observe(await control.client.poll())
        recorder.stop()
        if let failure = recorder.writer.failure { FileHandle.standardError.write(Data("flotilla: transcript: \(failure)\n".utf8)) }
    }
    await control.client.shutdown()
}

/// Runs one operation of the control plane: prints its outcome, turns its error into one line and exit 1.
/// `silentOK`: a local cluster none of whose nodes answers is no error (restarting one node of
/// a cluster that is all down is how it comes back).
func perform<T: Encodable>(_ options: ClusterOptions, silentOK: Bool = false, _ body: (ClusterControl) async throws -> T,
                           table: (T) -> String) async throws {
    let control = try await options.control(silentOK: silentOK)
    do {
        let value = try await body(control)
        await finish(control)
        options.print(value) { table(value) }
    } catch let e as ExitCode {
        await finish(control)
        throw e
    } catch {
        await finish(control)
        throw fail("\(error)")
    }
}

/// Prints an operator error on one line and exits non-zero, never a stack trace.
func fail(_ message: String, code: Int32 = 1) -> ExitCode {
    FileHandle.standardError.write(Data("flotilla: \(message)\n".utf8))
    return ExitCode(code)
}

/// A duration flag read by the one grammar of amounts (`TimeSpan`): 500ms, 20s, 2m, 1h; a bare
/// number other than 0 is refused, as everywhere else.
func parseDuration(_ text: String, _ flag: String) throws -> Duration {
    do { return try TimeSpan(parsing: text).duration } catch { throw ValidationError("\(flag): \(error)") }
}

/// A duration flag in whole milliseconds.
func parseMilliseconds(_ text: String, _ flag: String) throws -> UInt64 {
    let c = try parseDuration(text, flag).components
    return UInt64(max(0, c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000))
}

/// Reads `words` with the operator grammar, as the console's `:` line does, and performs the command.
func perform(_ options: ClusterOptions, words: [String], silentOK: Bool = false) async throws {
    let command: OperatorCommand
    do { command = try OperatorGrammar.parse(words: words) } catch { throw fail("\(error)") }
    try await perform(options, command, silentOK: silentOK)
}

/// Performs one operator command in a session on whichever engine runs the cluster: prints its
/// outcome (as JSON with -o json), turns its error into one line and exit 1; a heal that could
/// not be verified exits 1 too.
func perform(_ options: ClusterOptions, _ command: OperatorCommand, silentOK: Bool = false, healTimeout: Duration = .seconds(5)) async throws {
    var settings = SessionOptions()
    settings.healTimeout = healTimeout
    let session = try await options.session(settings, silentOK: silentOK)
    let outcome: CommandOutcome
    do {
        outcome = try await session.perform(command)
    } catch {
        await close(session)
        throw fail("\(error)")
    }
    await close(session)
    let text = command == .panic ? "panic: \(outcome.message); recovery is now advise" : outcome.message
    switch outcome {
    case .healed(let report): options.print(report) { text }
    case .submitted(let results): options.print(results) { text }
    default: options.print(Outcome(ok: outcome.ok, message: text)) { text }
    }
    if !outcome.ok { throw ExitCode(1) }
}

/// Closes a command's session (the transcript gets the cluster as it is now) and says when
/// transcript lines were lost.
func close(_ session: ClusterSession) async {
    await session.close()
    if let failure = session.recorder?.writer.failure { FileHandle.standardError.write(Data("flotilla: transcript: \(failure)\n".utf8)) }
}

/// A short answer for an operation.
struct Outcome: Encodable {
    var ok = true
    var message: String
}

/// Runs `body` in `session` (closed afterwards however it ends) and prints its report (as JSON
/// with -o json); an error is one line and exit 1, and so is a report that did not pass.
func report<R: Encodable & Sendable>(_ options: ClusterOptions, _ session: ClusterSession, passed: @escaping @Sendable (R) -> Bool,
                                     text: (R) -> String, _ body: @escaping @Sendable (ClusterSession) async throws -> R) async throws {
    let result: R
    do {
        result = try await session.run(body).value
    } catch {
        throw fail("\(error)")
    }
    if let failure = session.recorder?.writer.failure { FileHandle.standardError.write(Data("flotilla: transcript: \(failure)\n".utf8)) }
    options.print(result) { text(result) }
    if !passed(result) { throw ExitCode(1) }
}
