import FlotillaAPI
import Foundation

/// `flotilla load` in a `ClusterSession`: on Flotilla's node, task submits at a steady rate with
/// every `readEvery`th operation a linearizable read of the task table, while the session's loop
/// feeds the monitor; afterwards every acknowledged submit must be in the table and the history
/// linearizable. On another engine, its own workload of writes and linearizable reads.
public struct LoadRun: Sendable {
    public var rate: Double
    public var readEvery: Int
    public var kind: String
    public var duration: Duration

    public init(rate: Double, readEvery: Int, kind: String, duration: Duration) {
        self.rate = rate
        self.readEvery = readEvery
        self.kind = kind
        self.duration = duration
    }

    /// Runs the load until `duration` passes or `stopRequested` (Ctrl-C) turns true, then checks.
    /// `progress`, when given, gets what was sent and how it went every 2 s.
    public func run(in session: ClusterSession, stopRequested: @escaping @Sendable () -> Bool = { false },
                    progress: (@Sendable (String) -> Void)? = nil) async throws -> LoadReport {
        guard let control = session.control else {
            let r = try await EngineCheck.load(session, for: duration)
            return LoadReport(engine: r.engine, ok: r.operations, failed: 0, unknown: 0, violations: r.violations,
                              linearizable: r.linearizable ? (r.history?.contains("unknown") == true ? "unknown" : "ok") : "violated",
                              lines: r.text.split(separator: "\n").map(String.init))
        }
        await session.start()
        let args = kind == "sleep" ? ["ms": "50"] : kind == "echo" ? ["text": "load"] : [:]
        let load = LoadGenerator(control: control, rate: rate, submission: TaskSubmission(kind: kind, args: args), readEvery: readEvery)
        if let recorder = session.recorder { await load.onOperation { recorder.record($0) } }
        // `flotilla panic` stops a load it finds here.
        let pidFile = control.client.launcher.map { "\($0.directory)/load.pid" }
        if let pidFile { try? "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8) }
        defer { if let pidFile { try? FileManager.default.removeItem(atPath: pidFile) } }
        await load.start(duration: duration)
        var lastProgress = ContinuousClock.now
        while await load.active, !stopRequested() {
            try? await Task.sleep(for: .milliseconds(100))
            if let progress, ContinuousClock.now - lastProgress >= .seconds(2) {
                lastProgress = .now
                progress(await load.summary.progressLine)
            }
        }
        await load.stop()
        let s = await load.summary
        await EngineCheck.lastLook(session, acknowledged: await load.acknowledged)
        let history = HistoryReport(operations: ClientHistory.lines(await load.history))
        let perSecond = { (n: Int) in s.seconds > 0 ? (Double(n) / s.seconds * 10).rounded() / 10 : 0 }
        var report = LoadReport(engine: session.engine.kind, ok: s.ok, failed: s.failed, unknown: s.unknown, violations: await session.monitor.violations,
                                linearizable: history.verdict.word,
                                lines: s.lines.map { "load: " + $0 } + [await session.monitor.verdict, history.summary] + history.timeline(width: 100))
        report.sent = s.sentWrites
        report.writesPerSecond = perSecond(s.sentWrites)
        report.reads = LoadReport.Reads(sent: s.sentReads, ok: s.readsOK, failed: s.readsFailed, partial: s.readsUnknown, perSecond: perSecond(s.sentReads))
        return report
    }
}
