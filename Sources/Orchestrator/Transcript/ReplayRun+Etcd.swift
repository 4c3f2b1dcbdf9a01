import FlotillaAPI
import Foundation

extension ReplayRun {
    /// A transcript recorded on etcd, replayed on a fresh local etcd cluster in the launcher's
    /// directory (its members hosts of `lab` when the recording ran in one): the same actions through the same `CommandPerformer`, at the same pace, while the
    /// invariant monitor judges a snapshot every 200 ms. Every member is stopped at the end.
    func runOnEtcd(in lab: NetnsLab? = nil, progress: @escaping @Sendable (String) -> Void) async throws -> ReplayReport {
        let h = transcript.header
        let engine = try await EtcdEngine.launch(members: h.cluster.nodes, in: launcher.directory, network: lab, within: .seconds(30),
                                                 releaser: launcher.executable)
        defer { engine.local?.killAllNow() }
        let watcher = Task {
            var observer = ChangeObserver()
            var monitor = InvariantMonitor()
            var elections: [ControlEvent] = []
            for await s in engine.snapshots(every: .milliseconds(200)) {
                if Task.isCancelled { break }
                for e in observer.observe(s) {
                    engine.events.emit(e)
                    if e.category == "election" || e.category == "leader" { elections.append(e) }
                }
                for v in monitor.observe(s) { engine.events.emit(.invariant, node: v.node, "\(v)", reason: "monitor", ok: false) }
            }
            return (monitor, elections)
        }
        let actions = transcript.actions.filter(\.isOperators).sorted { $0.t < $1.t }
        let firstLeaderT = transcript.events.first { $0.category == "election" || $0.category == "leader" }?.t ?? actions.first?.t ?? 0
        let performer = CommandPerformer(engine: engine)
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
                _ = await engine.wait(for: .seconds(5)) { $0.leader != nil }
            }
            previousT = a.t
            var outcome = "ok"
            var ok = true
            do {
                try await ActionOrigin.$current.withValue("replay") { try await perform(a, performer) }
            } catch {
                ok = false
                outcome = "\(error)"
            }
            let step = ReplayReport.Step(at: (clock.now - start).seconds, verb: a.verb, summary: a.command?.description ?? a.summary, ok: ok,
                                         outcome: outcome, recordedOk: a.ok, recordedAt: a.t)
            progress(step.line)
            replayed.append(step)
        }
        _ = await engine.wait(for: .seconds(5)) { $0.leader != nil }
        watcher.cancel()
        let (monitor, elections) = await watcher.value
        var report = ReplayReport(file: h.source, steps: replayed)
        report.leadersByTerm = elections.compactMap { e -> ReplayReport.TermLeader? in
            guard let node = e.node, let r = e.message.range(of: "term "), let term = UInt64(e.message[r.upperBound...].prefix { $0.isNumber }) else { return nil }
            return ReplayReport.TermLeader(term: term, leader: node)
        }
        report.violations = monitor.violations.map { "\($0)" }
        report.checks = monitor.checks
        await engine.tearDown(removing: false)
        return report
    }
}
