import FlotillaAPI
import Foundation

/// A chaos run against a local cluster: a load of idempotent submits while a seeded nemesis
/// injects one fault at a time, each healed before the next; then everything is healed, the
/// cluster settles, and the run checks the task table against the clients' history (lost,
/// duplicated, unexpected), the invariant monitor's verdict and the leader's return after each heal.
public struct ChaosRun: Sendable {
    /// The control plane of the local cluster the run breaks.
    public let control: ClusterControl
    /// Seed, duration, faults, load and bounds.
    public let config: ChaosConfig
    /// Progress lines (each fault and heal as it happens).
    let log: @Sendable (String) -> Void

    public init(control: ClusterControl, config: ChaosConfig, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.control = control
        self.config = config
        self.log = log
    }

    /// How a fault is undone.
    enum Heal: Sendable {
        case none
        case restart(String)
        case resume(String)
        case clearRules
        case remove(String)
    }

    var launcher: Launcher {
        get throws {
            guard let l = control.client.launcher else { throw OrchestratorError("a chaos run needs a local cluster: it kills, pauses and starts node processes") }
            return l
        }
    }

    /// The schedule for this cluster (a pure function of the seed and the cluster's node ids).
    public func schedule() throws -> [NemesisStep] {
        config.nemesis(nodes: try launcher.load().nodes.map(\.id)).schedule()
    }

    /// Runs the load and the schedule, heals, settles and checks. Throws only when the cluster
    /// cannot be used at all (no leader to start with, not a local cluster).
    public func run() async throws -> ChaosReport {
        let launcher = try launcher
        let original = try launcher.load().nodes.map(\.id)
        let steps = config.nemesis(nodes: original).schedule()
        var report = ChaosReport(seed: config.seed, schedule: steps)
        let (_, ready) = await control.client.wait(for: .seconds(20)) { AvailabilityTracker.effectiveLeader($0) }
        guard ready else { throw OrchestratorError("the cluster elected no leader within 20 s; see the node logs in \(launcher.directory)") }

        let monitor = MonitorRun(control: control)
        let sampler = ChaosSampler(control: control, monitor: monitor)
        await sampler.start()
        let load = LoadGenerator(control: control, rate: config.rate, submission: TaskSubmission(kind: "echo", args: ["text": "chaos"]),
                                 maxAttempts: 5, retryDelay: .milliseconds(300), readEvery: config.readEvery)
        await load.start()
        var extraViolations: [Violation] = []
        let start = ContinuousClock.now

        for (n, step) in steps.enumerated() {
            let due = start + .milliseconds(step.atMs)
            if due > .now { try? await Task.sleep(until: due) }
            let heal: Heal
            do {
                let (h, what) = try await inject(step, monitor: monitor)
                heal = h
                report.injected += 1
                log("[\(n + 1)/\(steps.count)] \(what)")
            } catch {
                report.skipped.append("\(step): \(error)")
                log("[\(n + 1)/\(steps.count)] skipped \(step.fault) \(step.target): \(error)")
                // It may have half happened (a kill whose exit was not seen in time): undo what it may have done.
                await repair(after: step, original: original, monitor: monitor)
                continue
            }
            if step.holdMs > 0 { try? await Task.sleep(for: .milliseconds(step.holdMs)) }
            let healStart = ContinuousClock.now
            let healed = await undo(heal, monitor: monitor)
            if !healed.isEmpty { log("    heal: \(healed)") }
            if let ms = await leaderAfter(healStart, sampler: sampler) {
                report.leaderAfterHealMs.append(ms)
                if ms > config.livenessBound.milliseconds {
                    extraViolations.append(Violation("liveness", "no leader until \(ms) ms after healing \(step.fault) \(step.target) (bound \(config.livenessBound))"))
                }
            } else {
                extraViolations.append(Violation("liveness", "no leader within 10 s after healing \(step.fault) \(step.target)"))
            }
        }

        await load.stop()
        let took = String(format: "%.1f", Double((ContinuousClock.now - start).milliseconds) / 1000)
        log("faults done after \(took) s; healing everything and waiting for the cluster to settle")
        await healAll(original: original, monitor: monitor)
        let (settled, ok) = await control.client.wait(for: config.settleTimeout, every: .milliseconds(200)) { s in
            Self.settled(s, nodes: original)
        }
        if !ok {
            extraViolations.append(Violation("liveness", "the cluster did not settle within \(config.settleTimeout) after the heal:\n\(settled.table())"))
        }
        let tasks = await finishedTasks()
        await sampler.stop()
        if let tasks {
            let open = tasks.filter { [.assigned, .running].contains($0.state) }
            if !open.isEmpty {
                let sample = open.prefix(5).map { "\($0.id) \($0.state) on \($0.node ?? "-") epoch \($0.epoch)" }.joined(separator: ", ")
                extraViolations.append(Violation("task progress", "\(open.count) task(s) still assigned or running after the cluster settled: \(sample)"))
            }
            await monitor.observeTasks(tasks)
        } else {
            extraViolations.append(Violation("task progress", "the task table could not be read after the run"))
        }
        let final = await control.client.poll()
        await monitor.observe(final)
        await monitor.probeHashes(final)

        let history = await load.history
        let removed = (try? await control.removedKeys())?.keys ?? [:]
        report.queue = QueueCheck.check(history: history.filter { !$0.isRead }, tasks: tasks ?? [], removedKeys: removed)
        report.load = await load.summary
        if config.readEvery > 0 {
            let checked = HistoryReport(operations: ClientHistory.lines(history))
            report.linearizable = checked.verdict.word
            report.historyLines = [checked.summary] + checked.timeline(width: 100)
        }
        report.violations = await monitor.violations + extraViolations
        report.checks = await monitor.checks
        report.maxUnavailableMs = await sampler.availability.maxUnavailableMs
        return report
    }

    // MARK: - Faults

    /// The operator command a step injects, with `leader` resolved to the node leading now
    /// (`resolved`) where the step names one node. Amounts are read by the operator grammar.
    public static func command(for step: NemesisStep, resolved id: String, others: [String]) throws -> OperatorCommand {
        let value = (step.value ?? "").split(separator: " ").map(String.init)
        switch step.fault {
        case .kill: return .kill(node: id)
        case .pause: return .pause(node: id)
        case .partition: return .partition(shape: try PartitionShape(parsing: step.target))
        case .oneWay: return .partition(shape: .oneWay(from: [id], to: others))
        case .transfer: return .transfer(to: step.target == "any" ? nil : step.target)
        case .scale: return .scale(change: try ScaleChange(parsing: [step.target]), purge: false)
        case .link:
            guard let verb = value.first else { throw OrchestratorError("a link step needs what to do, e.g. loss 20%") }
            return try OperatorGrammar.parse(words: [verb, step.target] + value.dropFirst())
        case .disk: return try OperatorGrammar.parse(words: ["disk", id] + value)
        case .skew: return try OperatorGrammar.parse(words: ["skew", id] + value)
        }
    }

    /// Injects one step as an operator command; returns how to undo it and what was done.
    func inject(_ step: NemesisStep, monitor: MonitorRun) async throws -> (Heal, String) {
        let performer = CommandPerformer(control: control)
        let named: [ChaosFault] = [.kill, .pause, .oneWay, .disk, .skew]
        var id = step.target
        if named.contains(step.fault) { id = try await resolve(step.target) }
        if step.fault == .partition, step.target == "leader" { _ = try await resolve("leader") }
        let now = await control.snapshot()
        var command = try Self.command(for: step, resolved: id, others: now.nodes.map(\.id).filter { $0 != id })
        if case .transfer(let to?) = command, now.leader?.id == to { command = .transfer(to: nil) }
        let leaderNote = step.target == "leader" ? " (the leader)" : ""
        let before = Set((try? launcher.load().nodes.map(\.id)) ?? [])
        let outcome: CommandOutcome
        do {
            outcome = try await performer.perform(command)
        } catch {
            // A scale-up that failed part-way: take out the node it added.
            if step.fault == .scale, let launcher = try? launcher {
                for added in ((try? launcher.load().nodes.map(\.id)) ?? []) where !before.contains(added) { await remove(added, monitor: monitor) }
            }
            throw error
        }
        switch (step.fault, outcome) {
        case (.kill, _): return (.restart(id), "killed \(id)" + leaderNote)
        case (.pause, _): return (.resume(id), "paused \(id)" + leaderNote)
        case (.partition, .partitioned(let plan)): return (.clearRules, "partition \(plan)")
        case (.oneWay, .partitioned(let plan)): return (.clearRules, "one-way \(plan)")
        case (.transfer, .leader(let now)): return (.none, "transferred leadership to \(now)")
        case (.scale, .scaled(let changed, _)):
            guard let added = changed.first else { return (.none, "scaled: nothing changed") }
            return (.remove(added), "scaled up: \(added) joined, caught up and is a voter")
        case (.disk, _): return (.clearRules, "disk of \(id) \(step.value ?? "")" + leaderNote)
        case (.skew, _): return (.clearRules, "clock of \(id) at \(step.value ?? "")" + leaderNote)
        default: return (.clearRules, "\(command)")
        }
    }

    /// Undoes whatever a step that failed part-way may have left behind.
    func repair(after step: NemesisStep, original: [String], monitor: MonitorRun) async {
        switch step.fault {
        case .kill, .pause:
            if let launcher = try? launcher, let spec = try? launcher.load() {
                await restoreProcesses(launcher, spec, original: original, monitor: monitor)
            }
        case .partition, .oneWay, .link, .disk, .skew:
            _ = await control.heal(timeout: .seconds(3))
        case .transfer, .scale:
            break  // a transfer leaves nothing to undo; a failed scale-up removes its node itself
        }
    }

    /// A node id for `target`: itself, or the current leader (waiting a while for one).
    func resolve(_ target: String) async throws -> String {
        guard target == "leader" else { return target }
        let (s, ok) = await control.client.wait(for: .seconds(10)) { $0.leader != nil }
        guard ok, let l = s.leader else { throw OrchestratorError("there is no leader to target") }
        return l.id
    }

    /// Undoes a fault; returns what it did (empty for nothing).
    func undo(_ heal: Heal, monitor: MonitorRun) async -> String {
        switch heal {
        case .none:
            return ""
        case .restart(let id):
            do {
                try await control.restart(id)
                return "restarted \(id)"
            } catch {
                return "restart of \(id) failed: \(error)"
            }
        case .resume(let id):
            do {
                try await control.resume(id)
                return "resumed \(id)"
            } catch {
                return "resume of \(id) failed: \(error)"
            }
        case .clearRules:
            return "healed: " + (await control.heal(timeout: .seconds(3))).summary
        case .remove(let id):
            await remove(id, monitor: monitor)
            return "removed \(id)"
        }
    }

    /// Takes a node added by a scale step out of the membership, cluster.json and the process
    /// table, deleting its data. The monitor forgets it: a later scale step may reuse its id
    /// for a node that starts from nothing.
    func remove(_ id: String, monitor: MonitorRun) async {
        await takeOut(id)
        await monitor.forget(id)
    }

    private func takeOut(_ id: String) async {
        let s = await control.snapshot()
        if s.members.contains(where: { $0.id == id }) {
            do {
                _ = try await control.scaleDown(id, purge: true)
                return
            } catch {
                log("    scale down of \(id) failed: \(error); stopping it")
            }
        }
        if let launcher = try? launcher, let node = try? launcher.load().node(id) {
            _ = await launcher.stop(node)
            try? launcher.removeNode(id, purge: true)
        }
        await control.client.forget(id)
    }

    /// Milliseconds from `t` to the first effective leader the sampler saw, waiting up to 10 s.
    func leaderAfter(_ t: ContinuousClock.Instant, sampler: ChaosSampler) async -> Int? {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let seen = await sampler.firstLeader(atOrAfter: t) { return (seen - t).milliseconds }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    // MARK: - The end of the run

    /// Resumes paused nodes, restarts stopped ones, removes nodes a scale step left behind, then
    /// clears every rule and verifies it.
    func healAll(original: [String], monitor: MonitorRun) async {
        if let launcher = try? launcher, let spec = try? launcher.load() {
            await restoreProcesses(launcher, spec, original: original, monitor: monitor)
        }
        let report = await control.heal(timeout: .seconds(10))
        log("heal: \(report.summary)")
    }

    func restoreProcesses(_ launcher: Launcher, _ spec: ClusterSpec, original: [String], monitor: MonitorRun) async {
        for node in spec.nodes {
            if !original.contains(node.id) {
                await remove(node.id, monitor: monitor)
                log("removed \(node.id), left by a scale step")
                continue
            }
            switch launcher.processState(node) {
            case .paused:
                try? await control.resume(node.id)
                log("resumed \(node.id)")
            case .stopped:
                try? await control.restart(node.id)
                log("restarted \(node.id)")
            case .running:
                break
            }
        }
    }

    /// Every original node answers and follows one effective leader, and all have applied the same commit.
    static func settled(_ s: ClusterSnapshot, nodes: [String]) -> Bool {
        guard AvailabilityTracker.effectiveLeader(s), let l = s.leader else { return false }
        let live = nodes.compactMap { s.node($0)?.live }
        guard live.count == nodes.count else { return false }
        return live.allSatisfy { $0.leader == l.id && $0.commit == l.commit && $0.applied == l.commit }
    }

    /// The task table once no task is assigned or running (or after 30 s, as it then is).
    func finishedTasks() async -> [TaskView]? {
        let deadline = ContinuousClock.now + .seconds(30)
        var last: [TaskView]?
        while true {
            if let tasks = try? await control.allTasks() {
                last = tasks
                if !tasks.contains(where: { [.assigned, .running].contains($0.state) }) { return tasks }
            }
            if ContinuousClock.now >= deadline { return last }
            try? await Task.sleep(for: .milliseconds(300))
        }
    }

    // MARK: - A cluster of its own

    /// Creates a local cluster of `nodes` in `directory` (a temporary one when nil), runs the
    /// chaos against it and stops it. The directory is deleted afterwards unless `keep`, or the
    /// run failed (its logs are then worth reading); `kept` says which.
    public static func local(nodes: Int, config: ChaosConfig, directory: String? = nil, keep: Bool = false,
                             executable: String = Launcher.currentExecutable,
                             log: @escaping @Sendable (String) -> Void = { _ in },
                             beforeRun: @Sendable ([NemesisStep]) -> Void = { _ in }) async throws -> (report: ChaosReport, kept: String?) {
        guard (1...9).contains(nodes) else { throw OrchestratorError("a chaos run takes 1 to 9 nodes (asked for \(nodes))") }
        let dir = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-chaos-\(UUID().uuidString.prefix(8))").path
        let launcher = Launcher(directory: dir, executable: executable)
        let spec = try launcher.create(nodes: nodes, nodeArgs: ["--slots", "2", "--snapshot-every", "1000"])
        let client = try ClusterClient.local(launcher)
        let control = ClusterControl(client: client)
        let run = ChaosRun(control: control, config: config, log: log)
        var outcome: Result<ChaosReport, any Error>
        do {
            for node in spec.nodes { try launcher.start(node, spec: spec) }
            beforeRun(try run.schedule())
            outcome = .success(try await run.run())
        } catch {
            outcome = .failure(error)
        }
        for node in (try? launcher.load().nodes) ?? spec.nodes { _ = await launcher.stop(node, grace: .seconds(3)) }
        await client.shutdown()
        switch outcome {
        case .failure(let error):
            throw OrchestratorError("\(error) (the cluster's logs are kept in \(dir))")
        case .success(let report):
            if keep || report.failed { return (report, dir) }
            try? FileManager.default.removeItem(atPath: dir)
            return (report, nil)
        }
    }
}
