import FlotillaAPI
import Foundation

/// Takes the leader away `trials` times under a steady load and measures, for each, the time
/// from the fault to the first write committed by a new leader, as a client sees it. Between
/// trials (and for `idle` afterwards) it watches the quiet cluster: any term change there is a
/// spurious election.
public struct FailoverBenchmark: Sendable {
    /// How the leader is taken away.
    public enum Fault: String, Sendable, CaseIterable {
        /// SIGKILL: its peers see their connections close at once.
        case kill
        /// A silent partition (the fault filter isolates it; no socket closes): the others
        /// notice only when its heartbeats stop, after an election timeout.
        case partition
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
        public var fault: Fault
        /// Milliseconds, sorted.
        public var failovers: [Double]
        public var spuriousElections: Int
        public var failed: Int

        public func percentile(_ p: Double) -> Double { Orchestrator.percentile(failovers, p) }

        public var line: String {
            String(format: "bench failover (%@): trials=%d p50=%.0fms p99=%.0fms max=%.0fms spurious_elections=%d",
                   fault.rawValue, failovers.count, percentile(0.5), percentile(0.99), failovers.last ?? 0, spuriousElections)
        }
    }

    public func run(_ control: ClusterControl, progress: @Sendable (String) -> Void = { _ in }) async throws -> Result {
        let load = LoadGenerator(control: control, rate: loadRate)
        await load.start()
        var failovers: [Double] = []
        var spurious = 0
        var failed = 0
        let clock = ContinuousClock()
        for trial in 1...trials {
            spurious += await quietElections(control, for: settle)
            guard let old = await control.snapshot().leader else { failed += 1; continue }
            let started = clock.now
            switch fault {
            case .kill: try await control.kill(old.id)
            case .partition: _ = try await control.isolate(old.id)
            }
            var committed: Duration?
            var seen: Duration?
            var polls = 0
            let deadline = started + .seconds(10)
            while committed == nil, clock.now < deadline {
                let s = await control.client.poll()
                polls += 1
                if let l = s.leader, l.id != old.id {
                    if seen == nil { seen = clock.now - started }
                    let probe = TaskSubmission(kind: "echo", args: ["text": "failover"], key: "failover-\(UUID().uuidString)")
                    if let _: SubmitResult = try? await control.admin.call("POST", l.adminAddress, "/v1/tasks", body: probe, timeout: .seconds(2)) {
                        committed = clock.now - started
                    }
                } else {
                    try? await Task.sleep(for: .milliseconds(5))
                }
            }
            if let committed {
                let ms = Double(committed.components.seconds) * 1000 + Double(committed.components.attoseconds) / 1e15
                failovers.append(ms)
                progress(String(format: "trial %d: %@ %@, new leader committed after %.0f ms (leader seen after %@, %d polls)",
                                trial, old.id, fault == .kill ? "killed" : "isolated", ms, "\(seen ?? .zero)", polls))
            } else {
                failed += 1
                progress("trial \(trial): no write committed within 10 s of taking \(old.id) away (\(fault.rawValue))")
            }
            switch fault {
            case .kill: try await control.restart(old.id)
            case .partition: _ = await control.heal()
            }
            _ = await control.client.wait(for: .seconds(20)) { s in
                guard let l = s.leader, let back = s.node(old.id)?.live else { return false }
                return back.leader == l.id && back.applied + 64 >= l.commit
            }
        }
        await load.stop()
        if idle > .zero {
            progress("watching the idle cluster for \(idle)")
            spurious += await quietElections(control, for: idle)
        }
        return Result(fault: fault, failovers: failovers.sorted(), spuriousElections: spurious, failed: failed)
    }

    /// Term changes seen while nothing is being done to the cluster.
    func quietElections(_ control: ClusterControl, for duration: Duration) async -> Int {
        let deadline = ContinuousClock.now + duration
        var first: UInt64?
        var last: UInt64 = 0
        while ContinuousClock.now < deadline {
            let term = await control.client.poll().live.map(\.term).max() ?? 0
            if first == nil { first = term }
            last = max(last, term)
            try? await Task.sleep(for: .milliseconds(100))
        }
        return Int(last - (first ?? last))
    }
}
