import FlotillaAPI
import Foundation

/// Runs a transcript's operator actions again against a fresh local cluster started with the
/// header's spec, at their recorded offsets (scaled by `speed`, or as fast as is safe), while
/// the invariant monitor watches and recovery runs in the recorded mode. What it reproduces
/// is the operator's side: which actions, in which order, how far apart. It cannot reproduce
/// the interleaving of messages inside the cluster, so leaders and election times may differ.
public struct ReplayRun: Sendable {
    public enum Speed: Sendable, Equatable {
        /// Recorded offsets divided by this factor.
        case factor(Double)
        /// Long pauses cut to a second: each action once the previous is done, at most 1 s after its
        /// recorded gap would have it, and once the cluster has a leader (or 5 s passed).
        case max
    }

    public let transcript: Transcript
    public let speed: Speed
    public let launcher: Launcher

    public init(transcript: Transcript, speed: Speed, launcher: Launcher) {
        self.transcript = transcript
        self.speed = speed
        self.launcher = launcher
    }

    /// Starts the cluster, replays, checks, stops the cluster. `progress` gets a line per action.
    /// A transcript recorded in a namespace lab (`net: netns`) replays in a new lab, torn down
    /// afterwards however the replay ends.
    public func run(recorder makeRecorder: (@Sendable (ClusterControl) -> TranscriptRecorder?)? = nil, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> ReplayReport {
        let lab = try await labForReplay()
        do {
            let report = try await replay(in: lab, recorder: makeRecorder, progress: progress)
            try await lab?.teardown()
            return report
        } catch {
            try? await lab?.teardown()
            throw error
        }
    }

    /// A new, built lab for the recorded members when the header says the cluster ran in one; nil on loopback.
    func labForReplay() async throws -> NetnsLab? {
        let h = transcript.header
        guard let net = h.net else { return nil }
        guard net == "netns" else { throw OrchestratorError("the transcript ran on network \(net), which this build cannot make") }
        if let reason = await NetworkTool.unavailableReason() { throw OrchestratorError("the transcript ran in a namespace lab (--net netns): \(reason)") }
        let prefix = h.engine == "etcd" ? "e" : "n"
        let lab = try await NetnsLab.plan(members: (1...max(1, h.cluster.nodes)).map { "\(prefix)\($0)" })
        try await lab.build()
        return lab
    }

    private func replay(in lab: NetnsLab?, recorder makeRecorder: (@Sendable (ClusterControl) -> TranscriptRecorder?)?,
                        progress: @escaping @Sendable (String) -> Void) async throws -> ReplayReport {
        let h = transcript.header
        if let engine = h.engine, engine != "flotilla" {
            guard engine == "etcd" else { throw OrchestratorError("the transcript ran on engine \(engine), which this build cannot start") }
            return try await runOnEtcd(in: lab, progress: progress)
        }
        let spec = try launcher.create(nodes: h.cluster.nodes, nodeArgs: h.cluster.nodeArgs, network: lab)
        for n in spec.nodes { try launcher.start(n, spec: spec) }
        let control = ClusterControl(client: try ClusterClient.local(launcher))
        let recorder = makeRecorder?(control)
        defer { Task { [control] in await control.client.shutdown() } }
        let stopAll = { [launcher] in
            for n in (try? launcher.load().nodes) ?? spec.nodes { _ = await launcher.stop(n) }
        }
        let (_, ready) = await control.client.wait(for: .seconds(30)) { $0.leader != nil }
        guard ready else {
            await stopAll()
            throw OrchestratorError("the replayed cluster elected no leader within 30 s; see the node logs in \(launcher.directory)")
        }

        let monitor = MonitorRun(control: control)
        let mode = h.recover.flatMap(RecoveryMode.init(rawValue:)) ?? .advise
        let recovery = Recovery(control: control, mode: mode, analyzer: RecoveryAnalyzer(electionMs: h.cluster.electionMs))
        let watcher = Task {
            var observer = ChangeObserver()
            var rounds = 0
            var elections: [ControlEvent] = []
            for await s in control.client.snapshots(every: .milliseconds(200)) {
                if Task.isCancelled { break }
                for e in observer.observe(s) {
                    control.events.emit(e)
                    if e.category == "election" || e.category == "leader" { elections.append(e) }
                }
                recorder?.observe(s)
                await monitor.observe(s)
                await recovery.step(s)
                rounds += 1
                if rounds % 25 == 0 { await monitor.probeHashes(s) }
            }
            return elections
        }

        let actions = transcript.actions.filter(\.isOperators).sorted { $0.t < $1.t }
        let firstLeaderT = transcript.events.first { $0.category == "election" || $0.category == "leader" }?.t ?? 0
        let performer = CommandPerformer(control: control, recovery: recovery)
        var replayed: [ReplayReport.Step] = []
        let clock = ContinuousClock()
        let start = clock.now
        var previousT = firstLeaderT
        for a in actions {
            switch speed {
            case .factor(let f):
                let due = start + .milliseconds(Int(max(0, a.t - firstLeaderT) / f * 1000))
                if due > clock.now { try? await Task.sleep(until: due) }
            case .max:
                let gap = min(1, max(0, a.t - previousT))
                try? await Task.sleep(for: .milliseconds(Int(gap * 1000)))
                _ = await control.client.wait(for: .seconds(5)) { $0.leader != nil }
            }
            previousT = a.t
            var outcome = "ok"
            var ok = true
            do {
                try await ActionOrigin.$current.withValue("replay") {
                    try await perform(a, performer)
                }
            } catch {
                ok = false
                outcome = "\(error)"
            }
            let step = ReplayReport.Step(at: (clock.now - start).seconds, verb: a.verb, summary: a.command?.description ?? a.summary, ok: ok, outcome: outcome,
                                         recordedOk: a.ok, recordedAt: a.t)
            progress(step.line)
            replayed.append(step)
        }
        let loads = await performer.loads.all
        for l in loads { await l.stop() }
        // Settle: faults healed by the actions or not, the monitor gets a last look.
        _ = await control.client.wait(for: .seconds(5)) { $0.leader != nil }
        watcher.cancel()
        let elections = await watcher.value
        let final = await control.client.poll()
        await monitor.observe(final)
        await monitor.probeHashes(final)
        var acknowledged: [String: String] = [:]
        for l in loads { acknowledged.merge(await l.acknowledged) { a, _ in a } }
        var historyError: String?
        do { try await monitor.checkTasks(acknowledged: acknowledged) } catch { historyError = "\(error)" }

        var report = ReplayReport(file: h.source, steps: replayed)
        report.leadersByTerm = elections.compactMap { e in e.node.map { ($0, e.message) } }.compactMap { node, message -> (UInt64, String)? in
            guard let r = message.range(of: "term "), let term = UInt64(message[r.upperBound...].prefix { $0.isNumber }) else { return nil }
            return (term, node)
        }.map { ReplayReport.TermLeader(term: $0.0, leader: $0.1) }
        report.electionMs = elections.filter { $0.category == "election" }.compactMap(\.durationMs)
        report.recordedElectionMs = transcript.events.filter { $0.category == "election" }.compactMap(\.durationMs)
        report.violations = await monitor.violations.map { "\($0)" }
        report.checks = await monitor.checks
        report.acknowledged = acknowledged.count
        report.historyError = historyError
        var operations: [LoadGenerator.Operation] = []
        for l in loads { operations += await l.history }
        if operations.contains(where: \.isRead) {
            let checked = HistoryReport(operations: ClientHistory.lines(operations))
            report.linearizable = checked.verdict.word
            report.historyLines = [checked.summary] + checked.timeline(width: 100)
        }
        recorder?.stop()
        await stopAll()
        return report
    }

    /// The command a recorded action stands for: the one it stored (version 2), else the one its
    /// verb, target and args describe (version 1), never a default in place of a missing amount.
    static func command(_ a: ActionLine) throws -> OperatorCommand {
        try a.command ?? OperatorCommand(recorded: a)
    }

    /// Runs one recorded action through the control plane.
    func perform(_ a: ActionLine, _ performer: CommandPerformer) async throws {
        let outcome = try await performer.perform(try Self.command(a))
        if !outcome.ok { throw OrchestratorError(outcome.message) }
    }
}

/// What a replay did and found.
public struct ReplayReport: Sendable, Codable, Equatable {
    public struct Step: Sendable, Codable, Equatable {
        /// Seconds into the replay.
        public var at: Double
        public var verb: String
        public var summary: String
        public var ok: Bool
        public var outcome: String
        public var recordedOk: Bool
        public var recordedAt: Double

        /// Ok now but not then, or the other way round.
        public var diverged: Bool { ok != recordedOk }

        var line: String {
            let then = recordedOk ? "ok" : "failed"
            let what = summary.count >= 30 ? summary : summary.padding(toLength: 30, withPad: " ", startingAt: 0)
            return String(format: "  %7.1fs  ", at) + what + " " + (ok ? "ok" : "FAILED") + String(format: " (recorded at %.1fs: ", recordedAt) + then + ")"
                + (ok ? "" : ": \(outcome)")
        }
    }

    public struct TermLeader: Sendable, Codable, Equatable {
        public var term: UInt64
        public var leader: String
    }

    public var file: String
    public var steps: [Step]
    public var leadersByTerm: [TermLeader] = []
    public var electionMs: [Int] = []
    public var recordedElectionMs: [Int] = []
    public var violations: [String] = []
    public var checks = 0
    public var acknowledged = 0
    public var historyError: String?
    /// The replayed load's submits and reads checked for linearizability (nil: no reads), and
    /// the verdict's lines (with the failing window drawn).
    public var linearizable: String?
    public var historyLines: [String] = []

    public init(file: String, steps: [Step]) {
        self.file = file
        self.steps = steps
    }

    public var ok: Bool { violations.isEmpty && historyError == nil && linearizable != "violated" }

    /// The report's text; its last line is the verdict.
    public var text: String {
        func ms(_ v: [Int]) -> String { v.isEmpty ? "none" : v.map { String(format: "%.2fs", Double($0) / 1000) }.joined(separator: " ") }
        var lines = ["actions replayed: \(steps.count) (\(steps.filter(\.ok).count) ok, \(steps.filter { !$0.ok }.count) failed, \(steps.filter(\.diverged).count) differ from the recording)"]
        lines += steps.map(\.line)
        lines.append("leaders by term: " + (leadersByTerm.isEmpty ? "none elected" : leadersByTerm.map { "\($0.term):\($0.leader)" }.joined(separator: " ")))
        lines.append("elections (replayed): \(ms(electionMs))")
        lines.append("elections (recorded): \(ms(recordedElectionMs))")
        lines.append("history: \(acknowledged) acknowledged submits" + (historyError.map { "; could not check: \($0)" } ?? " checked"))
        lines += historyLines
        lines.append(violations.isEmpty ? "invariants: ok (\(checks) checks)" : "invariants: \(violations.count) VIOLATION(S)\n" + violations.map { "  - \($0)" }.joined(separator: "\n"))
        lines.append("replay: actions=\(steps.count) failed=\(steps.filter { !$0.ok }.count) diverged=\(steps.filter(\.diverged).count) violations=\(violations.count) elections=\(electionMs.count) recorded_elections=\(recordedElectionMs.count)")
        return lines.joined(separator: "\n")
    }
}
