import ArgumentParser
import FlotillaAPI
import Foundation
import Orchestrator

struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Submit tasks: sleep {ms}, echo {text}, hash {rounds}, fail {message}, shell {command}.",
        discussion: "Example: flotilla submit --kind sleep --arg ms=100 --count 10")
    @Option(help: "Task kind.") var kind: String
    @Option(name: .customLong("arg"), help: "An argument, KEY=VALUE (repeatable).", transform: KeyValue.init(parsing:)) var args: [KeyValue] = []
    @Option(help: "How many tasks.") var count = 1
    @Option(help: "Run it on this node.") var target: String?
    @Option(help: "Idempotency key (a retry with the same key never makes a duplicate).") var key: String?
    @Option(help: "Attempts before the task fails for good.") var maxAttempts: Int?
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let list: KeyValueList
        do { list = try KeyValueList(parsing: args.map { "\($0.key)=\($0.value)" }) } catch { throw fail("submit: \(error)") }
        try await perform(cluster, .submit(order: TaskOrder(kind: kind, args: list, count: count, target: target, key: key, maxAttempts: maxAttempts)))
    }
}

struct TasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tasks", abstract: "List tasks as the cluster committed them.")
    @Option(help: "Only this state: queued, assigned, running, succeeded, failed, cancelled, timed-out.") var state: String?
    @Option(help: "Only tasks on this node.") var node: String?
    @Option(help: "At most this many.") var limit = 50
    @Flag(help: "Redraw until Ctrl-C.") var watch = false
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let filter = state.map(TaskState.named)
        if let filter, !filter.isKnown { throw ValidationError("--state must be one of \(TaskState.known.map(\.rawValue).joined(separator: ", "))") }
        if let etcd = EtcdEngine.attach(directory: cluster.directory, connect: cluster.connect) {
            await etcd.shutdown()
            throw fail("tasks: etcd has no task queue (its load is puts: `flotilla load`, or l in the console)")
        }
        guard watch else {
            let control = try await cluster.control()
            defer { Task { await finish(control) } }
            show(try await list(control, filter), clear: false)
            return
        }
        // `--watch`: the list again on each of a session's rounds, until Ctrl-C.
        var options = SessionOptions()
        options.interval = .milliseconds(500)
        options.monitor = false
        options.stopOnSignal = true
        let session = try await cluster.session(options, silentOK: true)
        guard let control = session.control else { throw fail("tasks: \(session.engine.kind) has no task queue") }
        _ = try? await session.run { session in
            for await _ in session.ticks() {
                guard let list = try? await list(control, filter) else { continue }
                show(list, clear: cluster.output == .table)
            }
        }
    }

    func list(_ control: ClusterControl, _ filter: TaskState?) async throws -> TaskList {
        do { return try await control.tasks(state: filter, node: node, limit: limit) } catch { throw fail("\(error)") }
    }

    func show(_ list: TaskList, clear: Bool) {
        if clear { print("\u{1B}[H\u{1B}[2J", terminator: "") }
        cluster.print(list) { Self.table(list) }
    }

    static func table(_ list: TaskList) -> String {
        let now = UInt64(Date().timeIntervalSince1970 * 1000)
        let rows = list.tasks.map { t in
            [t.id, t.kind, t.node ?? "-", t.state.rawValue, "\(t.attempts)/\(t.maxAttempts)", "\(t.epoch)",
             formatAge(Double(now > t.submittedAt ? now - t.submittedAt : 0) / 1000), t.error ?? t.result ?? ""]
        }
        return TextTable.render(["ID", "KIND", "NODE", "STATE", "ATT", "EPOCH", "AGE", "RESULT"], rows)
            + "\n\(list.tasks.count) of \(list.total) tasks"
    }
}

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a task.")
    @Argument(help: "Task id.") var id: String
    @OptionGroup var cluster: ClusterOptions

    func run() async throws { try await perform(cluster, words: ["cancel", id]) }
}

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Submit tasks at a steady rate for a while, then check none acknowledged was lost.",
        discussion: """
            Every --read-every'th operation is a linearizable read of the task table (ReadIndex on the leader); \
            afterwards the history of submits and reads is checked for linearizability, and a failing window is drawn \
            as a timeline. Ctrl-C (or `flotilla panic`) stops it early. Exits 1 if the invariant monitor saw a \
            violation or the history is not linearizable.
            """)
    @Option(help: "Operations per second, writes and reads together (with --read-every 4, 20 is 15 writes/s and 5 reads/s).") var rate = 20.0
    @Option(help: "Every Nth operation is a linearizable read (0: none).") var readEvery = 4
    @Option(help: "How long, e.g. 30s.", transform: TimeSpan.init(parsing:)) var duration = TimeSpan(milliseconds: 10_000)
    @Option(help: "Task kind.") var kind = "echo"
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        guard rate > 0, rate <= 5000 else { throw ValidationError("--rate must be between 0 and 5000") }
        guard readEvery >= 0 else { throw ValidationError("--read-every must be 0 or more") }
        let plan = LoadRun(rate: rate, readEvery: readEvery, kind: kind, duration: duration.duration)
        let session = try await cluster.session(EngineCheck.sessionOptions)
        let stop = StopSignal()
        // Its `load on` event says what it sends; every 2 s what it sent and how that went (stderr, so stdout stays the report).
        var progress: (@Sendable (String) -> Void)?
        if cluster.output == .table {
            progress = { line in FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
        }
        try await report(cluster, session, passed: \.passed, text: \.text) { [progress] in try await plan.run(in: $0, stopRequested: { stop.requested }, progress: progress) }
    }
}
