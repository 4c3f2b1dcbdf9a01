import FlotillaAPI
import Foundation
import Synchronization

/// Runs a transcript's operator actions again in a `ClusterSession` on a fresh cluster of the
/// recorded engine and size, at their recorded offsets (scaled by `speed`, or as fast as is
/// safe), while the session's monitor watches and recovery runs in the recorded mode. What it
/// reproduces is the operator's side: which actions, in which order, how far apart. It cannot
/// reproduce the interleaving of messages inside the cluster, so leaders and election times may differ.
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

    public init(transcript: Transcript, speed: Speed) {
        self.transcript = transcript
        self.speed = speed
    }

    /// A session on a fresh cluster like the recorded one (its engine, size and node flags) in
    /// `directory` (a temporary one when nil, removed afterwards), with the recorded recovery mode.
    /// `recorder` may record the replay itself.
    /// `executable` is the `flotilla` that runs the nodes (and, in a lab, the packet releaser).
    public func session(directory: String?, recorder: (@Sendable (any Engine) -> TranscriptRecorder?)? = nil,
                        executable: String = Launcher.currentExecutable) async throws -> ClusterSession {
        let h = transcript.header
        let engine: any Engine
        let cluster: TemporaryCluster
        // A transcript recorded in a namespace lab (`net: netns`) replays in a new lab, which the
        // cluster's teardown removes however the replay ends.
        let lab = try await labForReplay()
        do {
            switch h.engine ?? "flotilla" {
            case "flotilla":
                (engine, cluster) = try await TemporaryCluster.flotilla(nodes: h.cluster.nodes, nodeArgs: h.cluster.nodeArgs, directory: directory,
                                                                       purpose: "replay", executable: executable, network: lab)
            case "etcd":
                (engine, cluster) = try await TemporaryCluster.etcd(members: h.cluster.nodes, directory: directory, purpose: "replay", network: lab,
                                                                   releaser: executable)
            case let other:
                throw OrchestratorError("the transcript ran on engine \(other), which this build cannot start")
            }
        } catch {
            try? await lab?.teardown()
            throw error
        }
        var options = SessionOptions()
        options.recovery = h.recover.flatMap(RecoveryMode.init(rawValue:)) ?? .advise
        options.electionMs = h.cluster.electionMs
        options.stopOnSignal = true
        return ClusterSession(engine: engine, options: options, recorder: recorder?(engine), cluster: cluster)
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

    /// Replays in `session` (not yet started), checks, and closes it. `progress` gets a line per action.
    public func run(in session: ClusterSession, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> ReplayReport {
        let isElection = { (e: ControlEvent) in e.category == "election" || e.category == "leader" }
        let elections = Mutex<[ControlEvent]>([])
        let ticks = session.ticks()
        let collector = Task {
            for await tick in ticks { elections.withLock { $0 += tick.events.filter(isElection) } }
        }
        defer { collector.cancel() }
        return try await session.run { session in
            try await replay(in: session, elections: { elections.withLock { $0 } }, progress: progress)
        }.value
    }

    func replay(in session: ClusterSession, elections: @Sendable () -> [ControlEvent], progress: @Sendable (String) -> Void) async throws -> ReplayReport {
        let h = transcript.header
        let (_, ready) = await session.wait(for: .seconds(30)) { $0.leader != nil }
        guard ready else {
            throw OrchestratorError("the replayed cluster elected no leader within 30 s" + (session.cluster.map { "; see the logs in \($0.directory)" } ?? ""))
        }
        let actions = transcript.actions.filter(\.isOperators).sorted { $0.t < $1.t }
        let firstLeaderT = transcript.events.first { $0.category == "election" || $0.category == "leader" }?.t ?? actions.first?.t ?? 0
        var replayed: [ReplayReport.Step] = []
        let clock = ContinuousClock()
        let start = clock.now
        var previousT = firstLeaderT
        for a in actions {
            if Task.isCancelled { throw OrchestratorError("stopped by a signal after \(replayed.count) of \(actions.count) actions") }
            switch speed {
            case .factor(let f):
                let due = start + .milliseconds(Int(max(0, a.t - firstLeaderT) / f * 1000))
                if due > clock.now { try? await Task.sleep(until: due) }
            case .max:
                let gap = min(1, max(0, a.t - previousT))
                try? await Task.sleep(for: .milliseconds(Int(gap * 1000)))
                _ = await session.engine.wait(for: .seconds(5)) { $0.leader != nil }
            }
            previousT = a.t
            var outcome = "ok"
            var ok = true
            do {
                try await ActionOrigin.$current.withValue("replay") {
                    let done = try await session.perform(try Self.command(a))
                    if !done.ok { throw OrchestratorError(done.message) }
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
        let loads = await session.performer.loads.all
        for l in loads { await l.stop() }
        // Settle: faults healed by the actions or not, the monitor gets a last look.
        _ = await session.engine.wait(for: .seconds(5)) { $0.leader != nil }
        let final = await session.step()
        let monitor = session.monitor
        await monitor.probeHashes(final.snapshot)
        var acknowledged: [String: String] = [:]
        for l in loads { acknowledged.merge(await l.acknowledged) { a, _ in a } }
        var historyError: String?
        if session.control != nil {
            do { try await monitor.checkTasks(acknowledged: acknowledged) } catch { historyError = "\(error)" }
        }

        var report = ReplayReport(file: h.source, steps: replayed)
        let seen = elections()
        report.leadersByTerm = seen.compactMap { e -> ReplayReport.TermLeader? in
            guard let node = e.node, let r = e.message.range(of: "term "), let term = UInt64(e.message[r.upperBound...].prefix { $0.isNumber }) else { return nil }
            return ReplayReport.TermLeader(term: term, leader: node)
        }
        report.electionMs = seen.filter { $0.category == "election" }.compactMap(\.durationMs)
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
        return report
    }

    /// The command a recorded action stands for: the one it stored (version 2), else the one its
    /// verb, target and args describe (version 1), never a default in place of a missing amount.
    static func command(_ a: ActionLine) throws -> OperatorCommand {
        try a.command ?? OperatorCommand(recorded: a)
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
