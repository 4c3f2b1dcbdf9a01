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

    public func run(_ control: ClusterControl) async throws -> Result {
        let load = LoadGenerator(control: control, rate: rate, submission: submission, maxInFlight: 256)
        let sample = Duration.milliseconds(500)
        await load.start(duration: duration)
        var queue: [Int] = []
        let clock = ContinuousClock()
        let loadEnd = clock.now + duration
        while clock.now < loadEnd {
            try await Task.sleep(for: sample)
            let s = await control.client.poll()
            if let l = s.leader { queue.append(l.tasks.queued) }
        }
        await load.finish()
        let acknowledged = await load.acknowledged
        let summary = await load.summary
        let ids = Set(acknowledged.values)
        // Wait (on the leader's counts) until nothing is queued, assigned or running, then read
        // what the cluster recorded, once.
        let drainEnd = clock.now + drain
        while clock.now < drainEnd {
            if let l = await control.client.poll().leader {
                queue.append(l.tasks.queued)
                if l.tasks.queued + l.tasks.byState[.assigned, default: 0] + l.tasks.byState[.running, default: 0] == 0 { break }
            }
            try await Task.sleep(for: sample)
        }
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
