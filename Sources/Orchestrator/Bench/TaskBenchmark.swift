import FlotillaAPI
import Foundation

/// Submits tasks at a steady rate for a while and measures how long they wait: submit ->
/// running and submit -> done, from the times the cluster itself recorded (the leader's clock
/// at the submit, the worker's at the start and the finish), plus the queue length over time.
/// Nothing on the client's side enters the numbers but the rate it submits at.
public struct TaskBenchmark: Sendable {
    public var rate: Double
    public var duration: Duration
    public var submission: TaskSubmission
    /// How long to wait, after the load, for the last tasks to finish.
    public var drain: Duration = .seconds(30)

    public init(rate: Double, duration: Duration, submission: TaskSubmission) {
        self.rate = rate
        self.duration = duration
        self.submission = submission
    }

    public struct Result: Sendable {
        public var submitted: Int
        /// Tasks read back (at most the newest 10,000).
        public var measured: Int
        public var finished: Int
        public var failedSubmits: Int
        /// Milliseconds, sorted.
        public var toRunning: [Double]
        public var toDone: [Double]
        /// Queued tasks as the leader reported them, once per sample.
        public var queue: [Int]
        public var sampleSeconds: Double

        public var line: String {
            func p(_ v: [Double], _ q: Double) -> String { String(format: "%.1fms", percentile(v, q)) }
            let queueMax = queue.max() ?? 0
            let tail = queue.suffix(max(1, queue.count / 4))
            let queueEnd = tail.isEmpty ? 0 : Double(tail.reduce(0, +)) / Double(tail.count)
            return "bench tasks: submitted=\(submitted) measured=\(measured) finished=\(finished) submit_errors=\(failedSubmits)"
                + " to_running_p50=\(p(toRunning, 0.5)) to_running_p99=\(p(toRunning, 0.99))"
                + " to_done_p50=\(p(toDone, 0.5)) to_done_p99=\(p(toDone, 0.99))"
                + " queue_max=\(queueMax) queue_last_quarter_mean=\(String(format: "%.1f", queueEnd))"
        }

        /// The queue length over time, one number per sample.
        public var queueLine: String {
            "queue (every \(String(format: "%.1f", sampleSeconds)) s): " + queue.map(String.init).joined(separator: " ")
        }
    }

    /// How a task benchmark's session looks: a timed snapshot every 500 ms (the queue's samples),
    /// judged by the invariant monitor.
    public static var sessionOptions: SessionOptions {
        var o = SessionOptions()
        o.feed = .poll
        o.interval = .milliseconds(500)
        return o
    }

    /// Runs the load on the session's cluster of Flotilla's nodes, sampling the leader's queue
    /// from the session's rounds.
    public func run(in session: ClusterSession) async throws -> Result {
        guard let control = session.control else { throw OrchestratorError("bench tasks drives Flotilla's task queue; \(session.engine.kind) has none") }
        let load = LoadGenerator(control: control, rate: rate, submission: submission, maxInFlight: 256)
        let ticks = session.ticks()
        await session.start()
        await load.start(duration: duration)
        var queue: [Int] = []
        let clock = ContinuousClock()
        let loadEnd = clock.now + duration
        var drainEnd: ContinuousClock.Instant?
        var acknowledged: [String: String] = [:]
        var summary = LoadGenerator.Summary()
        // During the load every round is a sample; after it, rounds are read (on the leader's
        // counts) until nothing is queued, assigned or running, then what the cluster recorded, once.
        for await tick in ticks {
            try Task.checkCancellation()
            let l = tick.snapshot.leader
            if let l { queue.append(l.tasks.queued) }
            if drainEnd == nil, clock.now >= loadEnd {
                await load.finish()
                acknowledged = await load.acknowledged
                summary = await load.summary
                drainEnd = clock.now + drain
            }
            guard let drainEnd else { continue }
            if let l, l.tasks.queued + l.tasks.byState[.assigned, default: 0] + l.tasks.byState[.running, default: 0] == 0 { break }
            if clock.now >= drainEnd { break }
        }
        let ids = Set(acknowledged.values)
        // Read page by page; tasks the retention already removed are not measured.
        let tasks = try await control.allTasks().filter { ids.contains($0.id) }
        var toRunning: [Double] = [], toDone: [Double] = []
        for t in tasks {
            if let started = t.startedAt, started >= t.submittedAt { toRunning.append(Double(started - t.submittedAt)) }
            if t.state == .succeeded, t.updatedAt >= t.submittedAt { toDone.append(Double(t.updatedAt - t.submittedAt)) }
        }
        return Result(submitted: ids.count, measured: tasks.count, finished: toDone.count, failedSubmits: summary.failed + summary.unknown,
                      toRunning: toRunning.sorted(), toDone: toDone.sorted(), queue: queue, sampleSeconds: 0.5)
    }
}
