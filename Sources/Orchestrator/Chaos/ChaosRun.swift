import FlotillaAPI
import Foundation
import HistoryCheck

/// A chaos run in a `ClusterSession` on any engine: a client load while a seeded nemesis injects
/// one fault at a time (only kinds the engine does not refuse), each healed before the next;
/// then everything is healed, the cluster settles, and the run checks the invariant monitor's
/// verdict, the leader's return after each heal, the history's linearizability and, on
/// Flotilla's node, the task table against the clients' history (lost, duplicated, unexpected).
public struct ChaosRun: Sendable {
    /// The session over the cluster the run breaks; its loop samples it.
    public let session: ClusterSession
    /// Seed, duration, faults, load and bounds.
    public let config: ChaosConfig
    /// Progress lines (each fault and heal as it happens).
    let log: @Sendable (String) -> Void

    /// How a chaos run's session looks: a timed snapshot every 100 ms (the leader's return is
    /// measured from them); log hashes and the task table every 30th.
    public static var sessionOptions: SessionOptions {
        var o = SessionOptions()
        o.feed = .poll
        o.interval = .milliseconds(100)
        o.hashProbeEvery = 30
        o.taskCheckEvery = 30
        return o
    }

    public init(session: ClusterSession, config: ChaosConfig, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.session = session
        self.config = config
        self.log = log
    }

    /// A run on Flotilla's nodes through `control`, in a session of its own.
    public init(control: ClusterControl, config: ChaosConfig, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.init(session: ClusterSession(engine: FlotillaEngine(control: control), options: Self.sessionOptions), config: config, log: log)
    }

    var engine: any Engine { session.engine }
    var control: ClusterControl? { session.control }

    /// How a fault is undone.
    enum Heal: Sendable {
        case none
        case restart(String)
        case resume(String)
        case clearRules
        case remove(String)
        /// An engine whose heal leaves disks alone (etcd's tmpfs): `disk NAME ok`.
        case diskOK(String)
    }

    /// The local cluster's launcher (Flotilla's node), if the run has one.
    var launcher: Launcher? { control?.client.launcher }

    /// The fault kinds of the configuration that this engine takes here; the others are left out
    /// of the schedule, with a line saying why.
    public func faults(nodes: [String]) -> (taken: [ChaosFault], refused: [String]) {
        var taken: [ChaosFault] = []
        var refused: [String] = []
        let node = nodes.first ?? "n1"
        for f in config.faults {
            if let why = engine.refusal(Self.probe(f, node: node)) { refused.append("\(f): \(why)") } else { taken.append(f) }
        }
        return (taken, refused)
    }

    /// A command of the kind a fault injects, to ask the engine whether it takes that kind.
    static func probe(_ fault: ChaosFault, node: String) -> OperatorCommand {
        switch fault {
        case .kill: .kill(node: node)
        case .pause: .pause(node: node)
        case .partition: .partition(shape: .isolate(node: node))
        case .oneWay: .partition(shape: .oneWay(from: [node], to: []))
        case .transfer: .transfer(to: nil)
        case .scale: .scale(change: .add(count: 1), purge: false)
        case .link: .loss(links: .all, share: Share(fraction: 0.1))
        case .disk: .disk(node: .node(node), fault: .full)
        case .skew: .skew(node: .node(node), rate: ClockRate(factor: 2))
        }
    }

    /// The schedule for a cluster of these nodes (a pure function of the seed, the node ids and
    /// the kinds the engine takes). An engine that takes a full disk but not a slow one (etcd) gets
    /// `full` where the nemesis drew `slow`, so no step is drawn only to be refused.
    public func schedule(nodes: [String]) -> [NemesisStep] {
        var c = config
        c.faults = faults(nodes: nodes).taken
        let steps = c.nemesis(nodes: nodes).schedule()
        guard c.faults.contains(.disk), engine.refusal(.disk(node: .node(nodes.first ?? "n1"), fault: .slow(ms: 50))) != nil else { return steps }
        return steps.map { step in
            guard step.fault == .disk, step.value?.hasPrefix("slow") == true else { return step }
            var full = step
            full.value = "full"
            return full
        }
    }

    /// The schedule for this cluster of Flotilla's nodes (its spec names them).
    public func schedule() throws -> [NemesisStep] {
        guard let launcher else { throw OrchestratorError("the nodes of a cluster not launched here are known once it answers: use schedule(nodes:)") }
        return schedule(nodes: try launcher.load().nodes.map(\.id))
    }

    /// The cluster's members at the start: the spec's nodes (Flotilla), or those that answer.
    func originalNodes() async throws -> [String] {
        if let launcher { return try launcher.load().nodes.map(\.id) }
        return await engine.snapshot().nodes.map(\.id)
    }

    /// Runs the load and the schedule, heals, settles and checks. Throws only when the cluster
    /// cannot be used at all (no leader to start with). Starts the session's loop if it is not
    /// running, and stops it again at the end then.
    public func run() async throws -> ChaosReport {
        guard engine.launchedHere else { throw OrchestratorError("a chaos run needs a cluster launched here: it kills, pauses and starts member processes") }
        let (_, ready) = await engine.wait(for: .seconds(20)) { AvailabilityTracker.effectiveLeader($0) }
        guard ready else { throw OrchestratorError("the cluster elected no leader within 20 s" + (session.cluster.map { "; see the logs in \($0.directory)" } ?? "")) }
        let original = try await originalNodes()
        let steps = schedule(nodes: original)
        var report = ChaosReport(seed: config.seed, schedule: steps)
        for line in faults(nodes: original).refused { report.skipped.append("left out \(line)") }

        let sampler = ChaosSampler(session: session)
        await sampler.start()
        let ownLoop = !session.isRunning
        await session.start()
        let load = await ChaosLoad.start(session: session, config: config)
        var extraViolations: [Violation] = []
        let start = ContinuousClock.now

        for (n, step) in steps.enumerated() {
            if Task.isCancelled { break }
            let due = start + .milliseconds(step.atMs)
            if due > .now { try? await Task.sleep(until: due) }
            if Task.isCancelled { break }
            let heal: Heal
            do {
                let (h, what) = try await inject(step)
                heal = h
                report.injected += 1
                log("[\(n + 1)/\(steps.count)] \(what)")
            } catch {
                report.skipped.append("\(step): \(error)")
                log("[\(n + 1)/\(steps.count)] skipped \(step.fault) \(step.target): \(error)")
                // It may have half happened (a kill whose exit was not seen in time): undo what it may have done.
                await repair(after: step, original: original)
                continue
            }
            if step.holdMs > 0 { try? await Task.sleep(for: .milliseconds(step.holdMs)) }
            let healStart = ContinuousClock.now
            let healed = await undo(heal)
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
        if Task.isCancelled {
            if ownLoop { await session.stopLoop() }
            await sampler.stop()
            throw OrchestratorError("stopped by a signal after \(report.injected) of \(steps.count) faults; nothing was checked")
        }
        let took = String(format: "%.1f", Double((ContinuousClock.now - start).milliseconds) / 1000)
        log("faults done after \(took) s; healing everything and waiting for the cluster to settle")
        await healAll(original: original)
        let (settled, ok) = await engine.wait(for: config.settleTimeout, every: .milliseconds(200)) { s in
            Self.settled(s, nodes: original)
        }
        if !ok {
            extraViolations.append(Violation("liveness", "the cluster did not settle within \(config.settleTimeout) after the heal:\n\(settled.table())"))
        }
        var tasks: [TaskView]?
        if control != nil {
            tasks = await finishedTasks()
            if let tasks {
                let open = tasks.filter { [.assigned, .running].contains($0.state) }
                if !open.isEmpty {
                    let sample = open.prefix(5).map { "\($0.id) \($0.state) on \($0.node ?? "-") epoch \($0.epoch)" }.joined(separator: ", ")
                    extraViolations.append(Violation("task progress", "\(open.count) task(s) still assigned or running after the cluster settled: \(sample)"))
                }
                await session.monitor.observeTasks(tasks)
            } else {
                extraViolations.append(Violation("task progress", "the task table could not be read after the run"))
            }
        }
        await sampler.stop()
        let final = await session.step()
        await session.monitor.probeHashes(final.snapshot)

        await load.report(into: &report, tasks: tasks ?? [], control: control, checkHistory: config.readEvery > 0)
        report.violations = await session.monitor.violations + extraViolations
        report.checks = await session.monitor.checks
        report.maxUnavailableMs = await sampler.availability.maxUnavailableMs
        if ownLoop { await session.stopLoop() }
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

    /// Injects one step as an operator command through the session; returns how to undo it and what was done.
    func inject(_ step: NemesisStep) async throws -> (Heal, String) {
        let named: [ChaosFault] = [.kill, .pause, .oneWay, .disk, .skew]
        var id = step.target
        if named.contains(step.fault) { id = try await resolve(step.target) }
        if step.fault == .partition, step.target == "leader" { _ = try await resolve("leader") }
        let now = await engine.snapshot()
        var command = try Self.command(for: step, resolved: id, others: now.nodes.map(\.id).filter { $0 != id })
        if case .transfer(let to?) = command, now.leader?.id == to { command = .transfer(to: nil) }
        let leaderNote = step.target == "leader" ? " (the leader)" : ""
        let before = Set(await members())
        let outcome: CommandOutcome
        do {
            outcome = try await session.perform(command)
        } catch {
            // A scale-up that failed part-way: take out the member it added.
            if step.fault == .scale {
                for added in await members() where !before.contains(added) { await remove(added) }
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
        case (.disk, _): return (engine.healEmptiesDisks ? .clearRules : .diskOK(id), "disk of \(id) \(step.value ?? "")" + leaderNote)
        case (.skew, _): return (.clearRules, "clock of \(id) at \(step.value ?? "")" + leaderNote)
        default: return (.clearRules, "\(command)")
        }
    }

    /// The members now: the local spec's nodes (Flotilla), or the membership the cluster reports.
    func members() async -> [String] {
        if let launcher, let spec = try? launcher.load() { return spec.nodes.map(\.id) }
        return await engine.snapshot().members.map(\.id)
    }

    /// Undoes whatever a step that failed part-way may have left behind.
    func repair(after step: NemesisStep, original: [String]) async {
        switch step.fault {
        case .kill, .pause:
            await restoreProcesses(original: original)
        case .partition, .oneWay, .link, .disk, .skew:
            _ = await clearDisks()
            _ = await clearRules(timeout: .seconds(3))
        case .transfer, .scale:
            break  // a transfer leaves nothing to undo; a failed scale-up removes its member itself
        }
    }

    /// A node id for `target`: itself, or the current leader (waiting a while for one).
    func resolve(_ target: String) async throws -> String {
        guard target == "leader" else { return target }
        let (s, ok) = await engine.wait(for: .seconds(10)) { $0.leader != nil }
        guard ok, let l = s.leader else { throw OrchestratorError("there is no leader to target") }
        return l.id
    }

    /// Clears every link, disk and clock fault and verifies it; what it found.
    func clearRules(timeout: Duration) async -> String {
        if let control { return (await control.heal(timeout: timeout)).summary }
        guard engine.supports(.heal) else { return "nothing to clear: \(engine.kind) takes no link or clock faults here (its disks are emptied apart)" }
        do { return try await session.perform(.heal).message } catch { return "heal failed: \(error)" }
    }

    /// Undoes a fault; returns what it did (empty for nothing).
    func undo(_ heal: Heal) async -> String {
        switch heal {
        case .none:
            return ""
        case .restart(let id):
            do {
                try await engine.restart(id)
                return "restarted \(id)"
            } catch {
                return "restart of \(id) failed: \(error)"
            }
        case .resume(let id):
            do {
                try await engine.resume(id)
                return "resumed \(id)"
            } catch {
                return "resume of \(id) failed: \(error)"
            }
        case .clearRules:
            return "healed: " + (await clearRules(timeout: .seconds(3)))
        case .remove(let id):
            await remove(id)
            return "removed \(id)"
        case .diskOK(let id):
            do {
                return try await session.perform(.disk(node: .node(id), fault: .ok)).message
            } catch {
                return "disk \(id) ok failed: \(error)"
            }
        }
    }

    /// Empties every member's disk where the engine's heal does not (etcd's tmpfs; a member the
    /// full disk ended starts again); nil when there is nothing of the kind.
    func clearDisks() async -> String? {
        guard !engine.healEmptiesDisks, engine.supports(.disk(node: .all, fault: .ok)) else { return nil }
        do { return try await session.perform(.disk(node: .all, fault: .ok)).message } catch { return "disk all ok failed: \(error)" }
    }

    /// Takes a member added by a scale step out of the membership (and, for Flotilla's node,
    /// cluster.json and the process table), deleting its data. The monitor forgets it: a later
    /// scale step may reuse its name for a member that starts from nothing.
    func remove(_ id: String) async {
        if let control {
            await takeOut(id, control)
        } else {
            do { try await engine.remove(id) } catch { log("    removal of \(id) failed: \(error)") }
        }
        await session.monitor.forget(id)
    }

    private func takeOut(_ id: String, _ control: ClusterControl) async {
        let s = await control.snapshot()
        if s.members.contains(where: { $0.id == id }) {
            do {
                _ = try await control.scaleDown(id, purge: true)
                return
            } catch {
                log("    scale down of \(id) failed: \(error); stopping it")
            }
        }
        if let launcher, let node = try? launcher.load().node(id) {
            _ = await launcher.stop(node)
            try? launcher.removeNode(id, purge: true)
        }
        await control.client.forget(id)
    }

    /// Milliseconds from `t` to the first effective leader the sampler saw, waiting up to 10 s.
    func leaderAfter(_ t: ContinuousClock.Instant, sampler: ChaosSampler) async -> Int? {
        await Poll.until(.seconds(10), every: .milliseconds(50)) { await sampler.firstLeader(atOrAfter: t) }
            .map { ($0 - t).milliseconds }
    }

    // MARK: - The end of the run

    /// Resumes paused members, restarts stopped ones, removes members a scale step left behind,
    /// then clears every rule and verifies it.
    func healAll(original: [String]) async {
        // Disks first: a member a full disk ended would end again if it were restarted on it.
        if let disks = await clearDisks() { log("disks: \(disks)") }
        await restoreProcesses(original: original)
        log("heal: \(await clearRules(timeout: .seconds(10)))")
    }

    func restoreProcesses(original: [String]) async {
        for id in await members() where !original.contains(id) {
            await remove(id)
            log("removed \(id), left by a scale step")
        }
        let s = await engine.snapshot()
        for id in original {
            let state: ProcessState? = if let launcher, let node = try? launcher.load().node(id) { launcher.processState(node) } else { s.node(id)?.process }
            switch state {
            case .paused?:
                try? await engine.resume(id)
                log("resumed \(id)")
            case .stopped?:
                try? await engine.restart(id)
                log("restarted \(id)")
            case .running?, nil:
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
        guard let control else { return nil }
        var last: [TaskView]?
        let settled = await Poll.until(.seconds(30), every: .milliseconds(300)) { () async -> [TaskView]? in
            guard let tasks = try? await control.allTasks() else { return nil }
            last = tasks
            return tasks.contains(where: { [.assigned, .running].contains($0.state) }) ? nil : tasks
        }
        return settled ?? last
    }

    // MARK: - A cluster of its own

    /// Starts a cluster of `nodes` members of `engine` (`flotilla` or `etcd`) in `directory` (a
    /// temporary one when nil), runs the chaos against it in a session and stops it. The
    /// directory is deleted afterwards unless `keep`, or the run failed (its logs are then worth
    /// reading); `kept` says which. SIGINT or SIGTERM ends the run early, and the cluster still stops.
    public static func local(engine: String = "flotilla", nodes: Int, config: ChaosConfig, directory: String? = nil, keep: Bool = false,
                             executable: String = Launcher.currentExecutable,
                             log: @escaping @Sendable (String) -> Void = { _ in },
                             beforeRun: @escaping @Sendable ([NemesisStep]) -> Void = { _ in }) async throws -> (report: ChaosReport, kept: String?) {
        guard (1...9).contains(nodes) else { throw OrchestratorError("a chaos run takes 1 to 9 nodes (asked for \(nodes))") }
        // A signal from here on ends the run through the session, which stops the cluster.
        _ = StopSignal.shared
        let started: any Engine
        let cluster: TemporaryCluster
        switch engine {
        case "flotilla":
            (started, cluster) = try await TemporaryCluster.flotilla(nodes: nodes, nodeArgs: ["--slots", "2", "--snapshot-every", "1000"],
                                                                    directory: directory, purpose: "chaos", keep: keep, executable: executable)
        case "etcd":
            (started, cluster) = try await TemporaryCluster.etcd(members: nodes, directory: directory, purpose: "chaos", keep: keep)
        default:
            throw OrchestratorError("unknown engine \(engine): flotilla or etcd")
        }
        var options = sessionOptions
        options.stopOnSignal = true
        let session = ClusterSession(engine: started, options: options, cluster: cluster)
        let (report, kept) = try await session.run(failed: { $0.failed }) { session in
            let run = ChaosRun(session: session, config: config, log: log)
            beforeRun(run.schedule(nodes: try await run.originalNodes()))
            return try await run.run()
        }
        return (report, kept)
    }
}
