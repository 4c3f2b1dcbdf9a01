import FlotillaAPI
import Foundation

/// Takes the leader away `trials` times under a steady load and measures, for each, the time
/// from the fault to the first write committed by a new leader, as a client sees it. Between
/// trials (and for `idle` afterwards) it watches the quiet cluster: any term change there is a
/// spurious election.
///
/// It works on any `Engine`: the fault and its undoing go through `CommandPerformer` (kill and
/// restart, or isolate and heal), so on a namespace lab both engines take the same nftables
/// cut; what differs is only the client write (`FailoverWrite`).
public struct FailoverBenchmark: Sendable {
    /// How the leader is taken away.
    public enum Fault: String, Sendable, CaseIterable {
        /// SIGKILL: its peers see their connections close at once.
        case kill
        /// A silent partition (the leader isolated by the nodes' filter, or by nftables in a
        /// namespace lab; no socket closes): the others notice only when its heartbeats stop.
        case partition

        /// The operator command that takes `leader` away this way.
        func command(_ leader: String) -> OperatorCommand {
            switch self {
            case .kill: .kill(node: leader)
            case .partition: .partition(shape: .isolate(node: leader))
            }
        }
    }

    public var fault: Fault
    public var trials: Int
    public var loadRate: Double
    public var idle: Duration
    /// How long the cluster is watched between trials.
    public var settle: Duration

    public init(fault: Fault = .kill, trials: Int, loadRate: Double = 50, idle: Duration = .zero, settle: Duration = .seconds(2)) {
        self.fault = fault
        self.trials = trials
        self.loadRate = loadRate
        self.idle = idle
        self.settle = settle
    }

    public struct Result: Sendable {
        /// `flotilla` or `etcd`.
        public var engine: String
        public var fault: Fault
        /// Milliseconds, sorted.
        public var failovers: [Double]
        public var spuriousElections: Int
        public var failed: Int

        public func percentile(_ p: Double) -> Double { Orchestrator.percentile(failovers, p) }

        public var line: String {
            String(format: "bench failover (%@): engine=%@ trials=%d p50=%.0fms p99=%.0fms max=%.0fms spurious_elections=%d",
                   fault.rawValue, engine, failovers.count, percentile(0.5), percentile(0.99), failovers.last ?? 0, spuriousElections)
        }
    }

    /// Flotilla's cluster behind `control`, written to with task submits.
    public func run(_ control: ClusterControl, progress: @Sendable (String) -> Void = { _ in }) async throws -> Result {
        try await run(FlotillaEngine(control: control), write: .flotilla(control), progress: progress)
    }

    /// Runs the trials on `engine`; `write` is one client write through a member's address.
    public func run(_ engine: any Engine, write: FailoverWrite, progress: @Sendable (String) -> Void = { _ in }) async throws -> Result {
        let performer = CommandPerformer(engine: engine, healTimeout: .seconds(15))
        if let reason = engine.refusal(fault.command("leader")) { throw OrchestratorError(reason) }
        let load = Task { await steadyLoad(engine, write) }
        defer { load.cancel() }
        var failovers: [Double] = []
        var spurious = 0
        var failed = 0
        let clock = ContinuousClock()
        for trial in 1...trials {
            spurious += await quietElections(engine, for: settle)
            guard let old = await engine.wait(for: .seconds(10), until: { $0.leader != nil }).0.leader else {
                failed += 1
                progress("trial \(trial): \(engine.kind): no leader to take away within 10 s")
                continue
            }
            let started = clock.now
            try await performer.perform(fault.command(old.id))
            var committed: Duration?
            var seen: Duration?
            var polls = 0
            let deadline = started + .seconds(10)
            while committed == nil, clock.now < deadline {
                let s = await engine.snapshot()
                polls += 1
                if let l = s.leader, l.id != old.id {
                    if seen == nil { seen = clock.now - started }
                    if await write.send(l.adminAddress, "failover-\(UUID().uuidString)") { committed = clock.now - started }
                } else {
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            if let committed {
                let ms = Double(committed.components.seconds) * 1000 + Double(committed.components.attoseconds) / 1e15
                failovers.append(ms)
                progress(String(format: "trial %d: %@ %@ %@, new leader committed after %.0f ms (leader seen after %@, %d polls)",
                                trial, engine.kind, old.id, fault == .kill ? "killed" : "isolated", ms, "\(seen ?? .zero)", polls))
            } else {
                failed += 1
                progress("trial \(trial): \(engine.kind): no write committed within 10 s of taking \(old.id) away (\(fault.rawValue))")
            }
            switch fault {
            case .kill: try await performer.perform(.restart(node: old.id))
            case .partition: try await performer.perform(.heal)
            }
            _ = await engine.wait(for: .seconds(20)) { s in
                guard let l = s.leader, let back = s.node(old.id)?.live else { return false }
                return back.leader == l.id && back.applied + 64 >= l.commit
            }
        }
        load.cancel()
        await load.value
        if idle > .zero {
            progress("watching the idle \(engine.kind) cluster for \(idle)")
            spurious += await quietElections(engine, for: idle)
        }
        return Result(engine: engine.kind, fault: fault, failovers: failovers.sorted(), spuriousElections: spurious, failed: failed)
    }

    /// Writes at about `loadRate` per second to whoever leads, until cancelled; a write that
    /// fails sends the next one to the leader of a fresh snapshot.
    func steadyLoad(_ engine: any Engine, _ write: FailoverWrite) async {
        let period = Duration.milliseconds(Int64(1000 / max(0.1, loadRate)))
        var address: String?
        var n = 0
        while !Task.isCancelled {
            if address == nil { address = await engine.snapshot().leader?.adminAddress }
            if let a = address {
                n += 1
                if !(await write.send(a, "bench-failover-load-\(n)")) { address = nil }
            }
            try? await Task.sleep(for: period)
        }
    }

    /// Term changes seen while nothing is being done to the cluster.
    func quietElections(_ engine: any Engine, for duration: Duration) async -> Int {
        let deadline = ContinuousClock.now + duration
        var first: UInt64?
        var last: UInt64 = 0
        while ContinuousClock.now < deadline {
            let term = await engine.snapshot().live.map(\.term).max() ?? 0
            if first == nil { first = term }
            last = max(last, term)
            try? await Task.sleep(for: .milliseconds(100))
        }
        return Int(last - (first ?? last))
    }
}
