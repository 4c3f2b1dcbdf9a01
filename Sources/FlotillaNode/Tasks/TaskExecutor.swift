import ChildProcesses
import FlotillaAPI
import Foundation
import Logging
import Synchronization
import TaskQueue

/// Runs the tasks assigned to this node, up to its slots at once, and hands each outcome to
/// `report` (the node's core, which proposes it or forwards it to the leader and resends it
/// until it is applied; the assignment's epoch fences a stale one).
final class TaskExecutor: Sendable {
    let node: String
    let allowShell: Bool
    let logger: Logger
    /// Takes a `start`, `complete` or `fail` command for the core.
    let report: @Sendable (Command) -> Void
    /// Running jobs by task id, with the epoch they run for.
    private let running = Mutex<[String: (epoch: UInt64, job: Task<Void, Never>)]>([:])

    init(node: String, allowShell: Bool, logger: Logger, report: @escaping @Sendable (Command) -> Void) {
        self.node = node
        self.allowShell = allowShell
        self.logger = logger
        self.report = report
    }

    func start(_ tasks: [TaskRecord]) {
        for t in tasks where t.node == node {
            // The job is made under the lock, so its own removal at the end waits for its entry.
            let replaced = running.withLock { jobs -> Task<Void, Never>? in
                if jobs[t.id]?.epoch == t.epoch { return nil }
                let previous = jobs[t.id]?.job
                jobs[t.id] = (t.epoch, run(t))
                return previous
            }
            replaced?.cancel()
        }
    }

    private func run(_ t: TaskRecord) -> Task<Void, Never> {
        Task { [self] in
            report(.start(task: t.id, node: node, epoch: t.epoch, at: wallClockMs()))
            let outcome = await execute(t.spec)
            if Task.isCancelled { return }
            switch outcome {
            case .success(let result):
                report(.complete(task: t.id, node: node, epoch: t.epoch, result: result, at: wallClockMs()))
            case .failure(let error):
                report(.fail(task: t.id, node: node, epoch: t.epoch, message: error.message, at: wallClockMs()))
            }
            running.withLock { jobs in
                if jobs[t.id]?.epoch == t.epoch { jobs[t.id] = nil }
            }
        }
    }

    /// Stops tasks that were cancelled, timed out or moved elsewhere.
    func stop(_ tasks: [TaskID]) {
        let jobs = running.withLock { jobs in tasks.compactMap { jobs.removeValue(forKey: $0)?.job } }
        for job in jobs { job.cancel() }
    }

    func stopAll() {
        let jobs = running.withLock { j -> [Task<Void, Never>] in
            defer { j = [:] }
            return j.values.map(\.job)
        }
        for job in jobs { job.cancel() }
    }

    var count: Int { running.withLock { $0.count } }

    struct Failure: Error { var message: String }

    func execute(_ spec: TaskSpec) async -> Result<String, Failure> {
        switch spec.kind {
        case "sleep":
            let ms = Int(spec.args["ms"] ?? "100") ?? 100
            do {
                try await Task.sleep(for: .milliseconds(max(0, min(ms, 3_600_000))))
            } catch {
                return .failure(Failure(message: "cancelled"))
            }
            return .success("slept \(ms) ms")
        case "echo":
            return .success(spec.args["text"] ?? "")
        case "hash":
            let rounds = max(1, min(Int(spec.args["rounds"] ?? "100000") ?? 100_000, 100_000_000))
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for i in 0..<rounds {
                h = (h ^ UInt64(truncatingIfNeeded: i)) &* 0x100_0000_01b3
                if i % 1_000_000 == 0, Task.isCancelled { return .failure(Failure(message: "cancelled")) }
            }
            return .success(String(h, radix: 16))
        case "fail":
            return .failure(Failure(message: spec.args["message"] ?? "failed on purpose"))
        case "shell":
            guard allowShell else { return .failure(Failure(message: "shell tasks are disabled on \(node)")) }
            return await runShell(spec.args["command"] ?? "true")
        default:
            return .failure(Failure(message: "unknown task kind \(spec.kind)"))
        }
    }

    /// The most of a shell task's output that is kept; the rest is read and dropped.
    static let shellOutputLimit = 4096

    /// Runs `/bin/sh -c command`, keeping the first `shellOutputLimit` bytes of its output.
    /// A command that cannot start (no descriptors left, say) fails the task, never the node.
    func runShell(_ command: String) async -> Result<String, Failure> {
        if Task.isCancelled { return .failure(Failure(message: "cancelled")) }
        let outcome: ChildProcess.Outcome
        do {
            outcome = try await ShellProcess.run(command, keep: TaskExecutor.shellOutputLimit)
        } catch {
            return .failure(Failure(message: "could not start /bin/sh: \(error)"))
        }
        let text = String(decoding: outcome.output, as: UTF8.self)
        return outcome.status == 0 ? .success(text) : .failure(Failure(message: "exit \(outcome.status): \(text)"))
    }
}
