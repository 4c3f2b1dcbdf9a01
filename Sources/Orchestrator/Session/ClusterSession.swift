import FlotillaAPI
import Foundation
import Synchronization

/// One operator's session with one cluster of any engine, and the one loop over it: poll ->
/// observe (`ChangeObserver`, emitted as events) -> record (`TranscriptRecorder`) -> monitor
/// (`MonitorRun`) -> recover (`Recovery`, when asked). Each round is published as a
/// `SessionTick` that any number of consumers read (`ticks()`); commands go through `perform`,
/// whose action events the recorder writes. A cluster the session started (`TemporaryCluster`)
/// is torn down by `close`, which `run` calls on every way out: returned, thrown, or a signal.
public final class ClusterSession: Sendable {
    public let engine: any Engine
    public let options: SessionOptions
    public let monitor: MonitorRun
    /// Recovery over Flotilla's node; nil on other engines.
    public let recovery: Recovery?
    /// Carries out operator commands; holds the load `load on` starts.
    public let performer: CommandPerformer
    /// Writes what the session does and sees (`--record`), if anything.
    public let recorder: TranscriptRecorder?
    /// The cluster this session started and stops; nil when it attached to a running one.
    public let cluster: TemporaryCluster?
    private let state = Mutex(State())

    private struct State {
        var observer = ChangeObserver()
        var round = 0
        var subscribers: [UUID: AsyncStream<SessionTick>.Continuation] = [:]
        var loop: Task<Void, Never>?
        var last: SessionTick?
        /// When the newest look taken in began.
        var newestPoll: ContinuousClock.Instant?
        var closed = false
    }

    public init(engine: any Engine, options: SessionOptions = SessionOptions(), recorder: TranscriptRecorder? = nil,
                cluster: TemporaryCluster? = nil) {
        self.engine = engine
        self.options = options
        self.recorder = recorder
        self.cluster = cluster
        monitor = MonitorRun(engine: engine)
        // Recovery acts through Flotilla's control plane, or through the engine itself (etcd).
        let host: (any RecoveryHost)? = (engine as? FlotillaEngine)?.control ?? (engine as? any RecoveryHost)
        let recovery = host.map {
            Recovery(host: $0, mode: options.recovery,
                     analyzer: RecoveryAnalyzer(electionMs: options.electionMs, replaceAfter: options.replaceAfter), cooldown: options.recoveryCooldown)
        }
        self.recovery = recovery
        performer = CommandPerformer(engine: engine, recovery: recovery, healTimeout: options.healTimeout)
    }

    /// Flotilla's control plane when the engine is its node (tasks, log hashes, recovery); nil otherwise.
    public var control: ClusterControl? { (engine as? FlotillaEngine)?.control }
    public var events: EventSink { engine.events }
    /// The latest round, if any ran.
    public var last: SessionTick? { state.withLock { $0.last } }

    // MARK: - The loop

    /// Starts the loop (once); the load's operations go to the recorder from now on.
    public func start() async {
        if let recorder { await performer.loads.onOperation { recorder.record($0) } }
        state.withLock { st in
            guard st.loop == nil, !st.closed else { return }
            st.loop = Task { await self.loop() }
        }
    }

    /// Whether the loop runs.
    public var isRunning: Bool { state.withLock { $0.loop != nil } }

    /// Stops the loop (it may be started again); subscribers stay.
    public func stopLoop() async {
        let loop = state.withLock { st in
            defer { st.loop = nil }
            return st.loop
        }
        loop?.cancel()
        await loop?.value
    }

    /// Every round from now until the session closes (the newest 256 kept for a slow reader).
    public func ticks() -> AsyncStream<SessionTick> {
        AsyncStream(bufferingPolicy: .bufferingNewest(256)) { continuation in
            let id = UUID()
            let closed = state.withLock { st -> Bool in
                if !st.closed { st.subscribers[id] = continuation }
                return st.closed
            }
            if closed { continuation.finish() }
            continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        }
    }

    private func loop() async {
        switch options.feed {
        case .watch:
            for await s in engine.snapshots(every: options.interval) {
                if Task.isCancelled { break }
                let now = ContinuousClock.now
                await process(s, polledAt: now, returnedAt: now)
            }
        case .poll:
            while !Task.isCancelled {
                await step()
                try? await Task.sleep(for: options.interval)
            }
        }
    }

    /// One round now, outside the loop's rhythm (a last look before a verdict, or a test's).
    @discardableResult
    public func step() async -> SessionTick {
        let started = ContinuousClock.now
        let s = await engine.snapshot()
        return await process(s, polledAt: started, returnedAt: .now)
    }

    /// Observe -> record -> monitor -> recover for one snapshot, then publish the tick.
    @discardableResult
    func process(_ s: ClusterSnapshot, polledAt: ContinuousClock.Instant, returnedAt: ContinuousClock.Instant) async -> SessionTick {
        // A look that began before the last one taken in is older news (a slow poll overtaken
        // by a later one): fed to the monitor it would look like a term or commit going back.
        let taken = state.withLock { st -> (round: Int, changes: [ControlEvent])? in
            if let newest = st.newestPoll, polledAt < newest { return nil }
            st.newestPoll = polledAt
            st.round += 1
            return (st.round, st.observer.observe(s))
        }
        guard let (round, changes) = taken else {
            return state.withLock { $0.last } ?? SessionTick(round: 0, snapshot: s, polledAt: polledAt, returnedAt: returnedAt)
        }
        for e in changes { engine.events.emit(e) }
        recorder?.observe(s)
        var violations: [Violation] = []
        if options.monitor {
            violations += await monitor.observe(s)
            if options.hashProbeEvery > 0, round % options.hashProbeEvery == 0 { violations += await monitor.probeHashes(s) }
            if options.taskCheckEvery > 0, round % options.taskCheckEvery == 0, let control, let tasks = try? await control.allTasks() {
                violations += await monitor.observeTasks(tasks)
            }
        }
        let findings = await recovery?.step(s) ?? []
        let tick = SessionTick(round: round, snapshot: s, events: changes, violations: violations, findings: findings,
                               polledAt: polledAt, returnedAt: returnedAt)
        let subscribers = state.withLock { st in
            st.last = tick
            return Array(st.subscribers.values)
        }
        for c in subscribers { c.yield(tick) }
        return tick
    }

    /// Polls until `condition` holds or `timeout` passes (each look is a round of the session).
    public func wait(for timeout: Duration, every interval: Duration = .milliseconds(100),
                     until condition: (ClusterSnapshot) -> Bool) async -> (ClusterSnapshot, Bool) {
        await Poll.latest(timeout, every: interval, read: { await step().snapshot }, until: condition)
    }

    /// Returns when the session closes or the calling task is cancelled (`flotilla supervise`
    /// runs the loop until a signal).
    public func untilStopped() async throws {
        for await _ in ticks() {}
    }

    // MARK: - Commands

    /// Performs an operator command through the engine (refused first when it cannot take it);
    /// its action event lands in the transcript.
    @discardableResult
    public func perform(_ command: OperatorCommand) async throws -> CommandOutcome {
        try await performer.perform(command)
    }

    // MARK: - The end

    /// Stops the loop and the load, and gives the transcript a last look at the cluster and
    /// closes it; the engine stays usable (for a caller that owns it). Later calls do nothing.
    /// True the first time.
    @discardableResult
    public func stop() async -> Bool {
        let (loop, subscribers, already) = state.withLock { st in
            defer {
                st.loop = nil
                st.subscribers = [:]
                st.closed = true
            }
            return (st.loop, Array(st.subscribers.values), st.closed)
        }
        guard !already else { return false }
        loop?.cancel()
        await loop?.value
        for c in subscribers { c.finish() }
        await performer.loads.stop()
        if let recorder {
            recorder.observe(await engine.snapshot())
            recorder.stop()
            recorder.writer.sync()
        }
        return true
    }

    /// `stop`, then closes the engine's clients and tears down an owned cluster. The owned
    /// cluster's directory when it stays (kept, or `failed`), else nil. Later calls do nothing.
    @discardableResult
    public func close(failed: Bool = false) async -> String? {
        guard await stop() else { return nil }
        await engine.shutdown()
        return await cluster?.tearDown(failed: failed)
    }

    /// Starts the session, runs `body` and closes the session however `body` ends: returned,
    /// thrown, or (with `stopOnSignal`) cancelled by SIGINT or SIGTERM. `failed` says from the
    /// value whether an owned cluster's directory is kept for its logs; a throw always keeps it.
    public func run<T: Sendable>(failed: @Sendable (T) -> Bool = { _ in false },
                                 _ body: @escaping @Sendable (ClusterSession) async throws -> T) async throws -> (value: T, kept: String?) {
        let signal = options.stopOnSignal ? StopSignal.shared : nil
        await start()
        let work = Task { try await body(self) }
        let watcher: Task<Void, Never>? = signal.map { signal in Task {
            while !Task.isCancelled {
                if signal.requested {
                    work.cancel()
                    return
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        } }
        let result = await work.result
        watcher?.cancel()
        switch result {
        case .success(let value):
            return (value, await close(failed: failed(value)))
        case .failure(let error):
            let kept = await close(failed: true)
            throw kept.map { OrchestratorError("\(error) (the cluster's logs are kept in \($0))") } ?? error
        }
    }
}
