import FlotillaAPI
import Foundation
import Logging
import Synchronization
import TaskQueue

/// Runs the tasks assigned to this node, up to its slots at once, and reports each
/// outcome to the leader (fenced by the assignment's epoch, so a stale report is refused).
final class TaskExecutor: Sendable {
    let node: String
    let allowShell: Bool
    let logger: Logger
    /// Sends a report to the leader; retried until it is recorded or refused.
    let report: @Sendable (_ task: String, _ body: TaskReport) async -> Bool
    private let running = Mutex<[String: Task<Void, Never>]>([:])

    init(node: String, allowShell: Bool, logger: Logger,
         report: @escaping @Sendable (_ task: String, _ body: TaskReport) async -> Bool) {
        self.node = node
        self.allowShell = allowShell
        self.logger = logger
        self.report = report
    }

    func start(_ tasks: [TaskRecord]) {
        for t in tasks where t.node == node {
            let key = "\(t.id)#\(t.epoch)"
            if running.withLock({ $0[key] != nil }) { continue }
            let job = Task { [self] in
                await deliver(t.id, TaskReport(node: node, epoch: t.epoch, outcome: "started"))
                let outcome = await execute(t.spec)
                if Task.isCancelled { return }
                switch outcome {
                case .success(let result):
                    await deliver(t.id, TaskReport(node: node, epoch: t.epoch, outcome: "succeeded", result: result))
                case .failure(let error):
                    await deliver(t.id, TaskReport(node: node, epoch: t.epoch, outcome: "failed", error: error.message))
                }
                _ = running.withLock { $0.removeValue(forKey: key) }
            }
            running.withLock { $0[key] = job }
        }
    }

    /// Stops tasks that were cancelled, timed out or moved elsewhere.
    func reconcile(with queue: TaskQueueState) {
        let stale = running.withLock { jobs -> [Task<Void, Never>] in
            var out: [Task<Void, Never>] = []
            for (key, job) in jobs {
                let parts = key.split(separator: "#")
                guard let t = queue.task(String(parts[0])) else { continue }
                if t.state.isFinal || t.node != node || "\(t.epoch)" != parts[1] {
                    out.append(job)
                    jobs[key] = nil
                }
            }
            return out
        }
        for job in stale { job.cancel() }
    }

    func stopAll() {
        let jobs = running.withLock { j -> [Task<Void, Never>] in
            defer { j = [:] }
            return Array(j.values)
        }
        for job in jobs { job.cancel() }
    }

    var count: Int { running.withLock { $0.count } }

    /// Reports until the leader records or refuses it for good, or the job is cancelled (the
    /// task moved on). Never gives up by itself: a task whose report is lost stays assigned
    /// here, and nothing else would ever finish it.
    private func deliver(_ task: String, _ body: TaskReport) async {
        var delay = 50
        var attempts = 0
        while !Task.isCancelled {
            if await report(task, body) { return }
            attempts += 1
            if attempts == 20 { logger.warning("could not report \(body.outcome) of \(task) to the leader yet; still trying") }
            try? await Task.sleep(for: .milliseconds(delay))
            delay = min(delay * 2, 1000)
        }
    }

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

    /// Runs `/bin/sh -c command`, reading its output while it runs (a child blocked on a full
    /// pipe would never exit) and keeping the first `shellOutputLimit` bytes.
    func runShell(_ command: String) async -> Result<String, Failure> {
        if Task.isCancelled { return .failure(Failure(message: "cancelled")) }
        let shell: ShellProcess
        do {
            shell = try ShellProcess.start(command)
        } catch {
            return .failure(Failure(message: "could not start /bin/sh: \(error)"))
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { c in
                // The blocking reads and the wait run on a thread of their own, not on the shared pool.
                Thread {
                    let (status, data) = shell.finish(keep: TaskExecutor.shellOutputLimit)
                    let text = String(decoding: data, as: UTF8.self)
                    c.resume(returning: status == 0 ? .success(text) : .failure(Failure(message: "exit \(status): \(text)")))
                }.start()
            }
        } onCancel: {
            shell.kill()
        }
    }
}
