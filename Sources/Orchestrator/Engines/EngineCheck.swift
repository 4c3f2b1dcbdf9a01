import Foundation
import HistoryCheck

/// `check` and `load` on any engine, inside a `ClusterSession`: its loop feeds the invariant
/// monitor a snapshot every round (on Flotilla's node the log hashes too), a last look ends the
/// watch (and reads Flotilla's task table), and for `load` on an engine without a task queue the
/// engine's own workload of writes and linearizable reads is checked for linearizability.
public enum EngineCheck {
    /// How a check looks: a timed snapshot every 200 ms.
    public static var sessionOptions: SessionOptions {
        var o = SessionOptions()
        o.feed = .poll
        o.interval = .milliseconds(200)
        return o
    }

    /// Watches for `duration` while the session's loop runs, then takes the last look.
    public static func watch(_ session: ClusterSession, for duration: Duration) async -> EngineCheckReport {
        await session.start()
        try? await Task.sleep(for: duration)
        await lastLook(session)
        return await report(session, operations: 0, history: nil, linearizable: true)
    }

    /// Runs the engine's workload for `duration` while the session watches, then checks the
    /// history (within `checkTime`: past it the verdict is unknown, never a hang).
    public static func load(_ session: ClusterSession, for duration: Duration, checkTime: Duration = .seconds(10)) async throws -> EngineCheckReport {
        await session.start()
        let deadline = ContinuousClock.now + duration
        let history = try await session.engine.workload(for: duration)
        if deadline > .now { try? await Task.sleep(until: deadline) }
        await lastLook(session)
        let verdict = ClientHistory.check(history, within: checkTime)
        var linearizable = true
        if case .notLinearizable = verdict { linearizable = false }
        return await report(session, operations: history.count, history: ClientHistory.summary(verdict, operations: history.count), linearizable: linearizable)
    }

    /// `load` on an engine the caller owns: in a session of its own, stopped afterwards (the
    /// engine's clients stay open).
    public static func load(_ engine: any Engine, for duration: Duration, checkTime: Duration = .seconds(10)) async throws -> EngineCheckReport {
        let session = ClusterSession(engine: engine, options: sessionOptions)
        do {
            let report = try await load(session, for: duration, checkTime: checkTime)
            await session.stop()
            return report
        } catch {
            await session.stop()
            throw error
        }
    }

    /// A last round, the log hashes at a common index, and (Flotilla's node) the task table
    /// against the submits acknowledged.
    static func lastLook(_ session: ClusterSession, acknowledged: [String: String] = [:]) async {
        let last = await session.step()
        await session.monitor.probeHashes(last.snapshot)
        guard session.control != nil else { return }
        do {
            try await session.monitor.checkTasks(acknowledged: acknowledged)
        } catch {
            session.events.emit(.invariant, "the task table could not be read: \(error)", reason: "monitor", ok: false)
        }
    }

    static func report(_ session: ClusterSession, operations: Int, history: String?, linearizable: Bool) async -> EngineCheckReport {
        EngineCheckReport(engine: session.engine.kind, checks: await session.monitor.checks, violations: await session.monitor.violations,
                          operations: operations, history: history, linearizable: linearizable)
    }
}
