import Foundation
import HistoryCheck

/// `check` and `load` on any engine: the invariant monitor over a snapshot every 200 ms and, for
/// `load`, the engine's own workload (writes and linearizable reads) checked for linearizability.
/// Flotilla's node has more (log hashes, the task table: `MonitorRun`); this is what every engine
/// can be held to from its snapshots and a client's history.
public enum EngineCheck {
    /// Watches `engine` for `duration`.
    public static func watch(_ engine: any Engine, for duration: Duration) async -> EngineCheckReport {
        let monitor = (try? await watching(engine, for: duration) {}).map(\.0) ?? InvariantMonitor()
        return EngineCheckReport(engine: engine.kind, checks: monitor.checks, violations: monitor.violations,
                                 operations: 0, history: nil, linearizable: true)
    }

    /// Runs the engine's workload for `duration` while watching it, then checks the history
    /// (within `checkTime`: past it the verdict is unknown, never a hang).
    public static func load(_ engine: any Engine, for duration: Duration, checkTime: Duration = .seconds(10)) async throws -> EngineCheckReport {
        let (monitor, history) = try await watching(engine, for: duration) { try await engine.workload(for: duration) }
        let verdict = ClientHistory.check(history, within: checkTime)
        var linearizable = true
        if case .notLinearizable = verdict { linearizable = false }
        return EngineCheckReport(engine: engine.kind, checks: monitor.checks, violations: monitor.violations, operations: history.count,
                                 history: ClientHistory.summary(verdict, operations: history.count), linearizable: linearizable)
    }

    /// Runs `body` while a snapshot every 200 ms feeds an invariant monitor, until both `body`
    /// returned and `duration` passed.
    static func watching<T: Sendable>(_ engine: any Engine, for duration: Duration,
                                      _ body: @Sendable () async throws -> T) async throws -> (InvariantMonitor, T) {
        let deadline = ContinuousClock.now + duration
        let watcher = Task {
            var monitor = InvariantMonitor()
            repeat {
                for v in monitor.observe(await engine.snapshot()) {
                    engine.events.emit(.invariant, node: v.node, "\(v)", reason: "monitor", ok: false)
                }
                try? await Task.sleep(for: .milliseconds(200))
            } while ContinuousClock.now < deadline && !Task.isCancelled
            return monitor
        }
        do {
            let value = try await body()
            return (await watcher.value, value)
        } catch {
            watcher.cancel()
            _ = await watcher.value
            throw error
        }
    }
}
