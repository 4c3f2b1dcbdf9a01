import FlotillaAPI
import Foundation
import HistoryCheck

/// The client load beside a chaos run: on Flotilla's node idempotent task submits with
/// linearizable reads of the task table (`LoadGenerator`, judged against the table afterwards);
/// on another engine its own workload of writes and linearizable reads, for the nemesis's duration.
final class ChaosLoad: Sendable {
    let generator: LoadGenerator?
    let workload: Task<[HistoryOperation], any Error>?

    private init(generator: LoadGenerator?, workload: Task<[HistoryOperation], any Error>?) {
        self.generator = generator
        self.workload = workload
    }

    static func start(session: ClusterSession, config: ChaosConfig) async -> ChaosLoad {
        if let control = session.control {
            let load = LoadGenerator(control: control, rate: config.rate, submission: TaskSubmission(kind: "echo", args: ["text": "chaos"]),
                                     maxAttempts: 5, retryDelay: .milliseconds(300), readEvery: config.readEvery)
            await load.start()
            return ChaosLoad(generator: load, workload: nil)
        }
        let engine = session.engine
        return ChaosLoad(generator: nil, workload: Task { try await engine.workload(for: config.duration) })
    }

    /// Ends the load: the generator at once, an engine's workload when its duration is over
    /// (at once too when the run was cancelled).
    func stop() async {
        await generator?.stop()
        if Task.isCancelled { workload?.cancel() }
        _ = await workload?.result
    }

    /// The load's part of the report: the queue check against `tasks` (Flotilla), how the
    /// operations came back, and (with `checkHistory`) the history's linearizability.
    func report(into report: inout ChaosReport, tasks: [TaskView], control: ClusterControl?, checkHistory: Bool) async {
        if let generator {
            let history = await generator.history
            let removed = (try? await control?.removedKeys())??.keys ?? [:]
            report.queue = QueueCheck.check(history: history.filter { !$0.isRead }, tasks: tasks, removedKeys: removed)
            report.load = await generator.summary
            if checkHistory {
                let checked = HistoryReport(operations: ClientHistory.lines(history))
                report.linearizable = checked.verdict.word
                report.historyLines = [checked.summary] + checked.timeline(width: 100)
            }
            return
        }
        guard let workload else { return }
        switch await workload.result {
        case .success(let ops):
            for op in ops {
                switch op.outcome {
                case .ok: report.load.ok += 1
                case .fail: report.load.failed += 1
                case .unknown: report.load.unknown += 1
                }
            }
            let verdict = ClientHistory.check(ops, within: .seconds(10))
            report.linearizable = verdict.word
            report.historyLines = [ClientHistory.summary(verdict, operations: ops.count)]
        case .failure(let error):
            report.linearizable = "unknown"
            report.historyLines = ["the workload failed: \(error)"]
        }
    }
}
