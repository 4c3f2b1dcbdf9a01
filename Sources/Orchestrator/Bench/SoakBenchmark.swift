import FlotillaAPI
import Foundation

/// A sustained write load against a local cluster for a long while, to show memory stays flat
/// once retention's window is full: each node's resident memory is sampled every `sample`, the
/// remembered keys of removed tasks are read as the run goes (every few seconds, a page at a
/// time, from where the last read stopped), and at the end every acknowledged write is looked for
/// in the table or among those keys. Keys the node forgot before a read reached them (its key
/// window passed, e.g. while reads failed on an overloaded machine) cannot be checked: they are
/// counted as unverified, never as lost or as fine.
public struct SoakBenchmark: Sendable {
    public var rate: Double
    public var duration: Duration
    public var sample: Duration
    public var submission: TaskSubmission

    public init(rate: Double, duration: Duration, sample: Duration, submission: TaskSubmission) {
        self.rate = rate
        self.duration = duration
        self.sample = sample
        self.submission = submission
    }

    /// One sample: seconds since the load began, each node's resident MB, the leader's counts.
    public struct Sample: Sendable {
        public var seconds: Double
        public var rssMB: [String: Double]
        public var acked: Int
        public var tasks: Int
        public var removed: Int
        public var rememberedKeys: Int

        public var line: String {
            let rss = rssMB.sorted { $0.key < $1.key }.map { "\($0.key)=\(Int($0.value.rounded()))" }.joined(separator: " ")
            return "soak t=\(Int(seconds))s acked=\(acked) tasks=\(tasks) removed=\(removed) keys=\(rememberedKeys) rss_mb \(rss)"
        }
    }

    public struct Result: Sendable {
        public var acked: Int
        /// Acknowledged writes found neither in the table nor among the remembered keys, beyond
        /// the `unverified` ones that may account for them.
        public var lost: [String]
        /// Remembered keys the node forgot before the soak read them.
        public var unverified: Int
        public var duplicated: [String]
        public var elections: Int
        public var rssStartMB: Double
        public var rssEndMB: Double
        public var snapshotHoldMaxMs: Double
        /// Of the longest hold, the ms its node's loop thread was on the CPU (the rest it waited to run).
        public var snapshotHoldCPUMs: Double
        /// Of the longest hold, how often its thread was preempted (waited for a core) and blocked (I/O, a lock).
        public var snapshotHoldPreempted: Int
        public var snapshotHoldBlocked: Int
        /// Acknowledged writes' latencies in ms, sorted.
        public var latencies: [Double]

        /// The summary: `bench soak: acked=N lost=L unverified=U duplicated=D elections=E rss_start_mb=A
        /// rss_end_mb=B snapshot_hold_max_ms=H snapshot_hold_cpu_ms=C snapshot_hold_preempted=X snapshot_hold_blocked=Y
        /// write_p999_ms=P write_max_ms=M` (memory: the largest node's).
        public var line: String {
            "bench soak: acked=\(acked) lost=\(lost.count) unverified=\(unverified) duplicated=\(duplicated.count) elections=\(elections)"
                + " rss_start_mb=\(Int(rssStartMB.rounded())) rss_end_mb=\(Int(rssEndMB.rounded()))"
                + " snapshot_hold_max_ms=\(String(format: "%.2f", snapshotHoldMaxMs))"
                + " snapshot_hold_cpu_ms=\(String(format: "%.2f", snapshotHoldCPUMs))"
                + " snapshot_hold_preempted=\(snapshotHoldPreempted) snapshot_hold_blocked=\(snapshotHoldBlocked)"
                + " write_p999_ms=\(String(format: "%.1f", percentile(latencies, 0.999)))"
                + " write_max_ms=\(String(format: "%.1f", latencies.last ?? 0))"
        }
    }

    /// How a soak's session looks: a timed snapshot four times per sample (or per read of the
    /// remembered keys, when those come more often), at most every 100 ms, judged by the
    /// invariant monitor; a sample is taken at the first look due.
    public var sessionOptions: SessionOptions {
        var o = SessionOptions()
        o.feed = .poll
        o.interval = max(.milliseconds(100), min(sample, .seconds(5)) / 4)
        return o
    }

    /// Runs the load on the session's cluster of Flotilla's nodes, whose node processes are
    /// `pids` (node id -> pid), printing each sample through `report`. The samples and the reads
    /// of the remembered keys follow the session's rounds.
    public func run(in session: ClusterSession, pids: [String: pid_t], report: @Sendable (Sample) -> Void) async throws -> Result {
        guard let control = session.control else { throw OrchestratorError("bench soak drives Flotilla's task queue; \(session.engine.kind) has none") }
        func rss() -> [String: Double] { pids.compactMapValues { HTTPLoad.residentMegabytes(of: $0) } }
        var tally = SoakTally()
        var keyCursor: Int?
        var unverified = 0
        /// Reads the remembered keys added since the last read. Keys forgotten before this read
        /// (serials below the first the node still has) are counted as unverified.
        func readKeys(_ s: ClusterSnapshot) async throws {
            guard let address = s.leader?.adminAddress else { return }
            repeat {
                let page: RemovedKeyList = try await control.admin.call(
                    "GET", address, "/v1/keys?limit=\(ClusterControl.pageLimit)" + (keyCursor.map { "&after=\($0)" } ?? ""))
                tally.observe(removedKeys: page.keys)
                // Serials count every key ever remembered: this page began at the first not yet forgotten.
                let first = max((keyCursor ?? -1) + 1, page.forgotten)
                unverified += first - ((keyCursor ?? -1) + 1)
                if !page.keys.isEmpty { keyCursor = first + page.keys.count - 1 }
                if page.next == nil { break }
            } while true
        }

        let ticks = session.ticks()
        let startTerm = await session.step().snapshot.leader?.term ?? 0
        let load = LoadGenerator(control: control, rate: rate, submission: submission, maxInFlight: 512)
        let clock = ContinuousClock()
        let began = clock.now
        let rssStart = rss().values.max() ?? 0
        await load.start(duration: duration)
        await session.start()
        var next = began + sample
        // Keys are read far more often than the key window, so none is forgotten unread unless
        // reads fail for that long.
        let keyEvery = min(sample, .seconds(5))
        var nextKeys = began + keyEvery
        var lastRSS = rssStart
        for await tick in ticks {
            try Task.checkCancellation()
            if clock.now >= began + duration { break }
            if clock.now >= nextKeys {
                nextKeys += keyEvery
                try? await readKeys(tick.snapshot)
            }
            guard clock.now >= next else { continue }
            next += sample
            let memory = rss()
            lastRSS = memory.values.max() ?? lastRSS
            let leader = tick.snapshot.leader
            report(Sample(seconds: (clock.now - began).seconds, rssMB: memory, acked: await load.summary.ok,
                          tasks: leader?.tasks.byState.values.reduce(0, +) ?? 0, removed: leader?.tasks.removed ?? 0,
                          rememberedKeys: leader?.tasks.rememberedKeys ?? 0))
        }
        await load.finish()
        let endRSS = rss().values.max() ?? lastRSS
        let history = await load.history
        let acknowledged = await load.acknowledged
        // The table first, then the keys: a task removed in between is in the second.
        tally.observe(tasks: try await control.allTasks())
        let end = await session.step().snapshot
        try await readKeys(end)
        let latencies = history.filter { !$0.isRead && $0.outcome == .ok }
            .map { $0.returnedAt.timeIntervalSince($0.invokedAt) * 1000 }.sorted()
        let missing = tally.lost(acknowledged)
        let longest = end.live.filter { $0.snapshotHeldMaxMs != nil }.max { $0.snapshotHeldMaxMs! < $1.snapshotHeldMaxMs! }
        return Result(acked: acknowledged.count, lost: Array(missing.dropFirst(min(unverified, missing.count))),
                      unverified: unverified, duplicated: tally.duplicated,
                      elections: Int((end.leader?.term ?? startTerm) - startTerm),
                      rssStartMB: rssStart, rssEndMB: endRSS,
                      snapshotHoldMaxMs: longest?.snapshotHeldMaxMs ?? 0, snapshotHoldCPUMs: longest?.snapshotHeldMaxCPUMs ?? 0,
                      snapshotHoldPreempted: longest?.snapshotHeldMaxPreempted ?? 0, snapshotHoldBlocked: longest?.snapshotHeldMaxBlocked ?? 0,
                      latencies: latencies)
    }
}
