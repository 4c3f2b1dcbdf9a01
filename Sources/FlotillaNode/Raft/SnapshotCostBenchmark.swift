import Foundation
import TaskQueue

/// What a snapshot costs the Raft loop, on a task table of `tasks` finished echo tasks and
/// `rememberedKeys` remembered keys of removed ones. Before, the loop encoded the whole table
/// (`encode`); now it hands a frozen copy to another thread (`handOff`: the copy and the next
/// submit) and pays the copy-on-write of whatever storage the copy shares when it next changes it
/// (`firstApply`: the first round of commands after the copy, which touches every large structure
/// the queue holds, against `steadyApply`, the same round with no copy held).
public struct SnapshotCostBenchmark: Sendable {
    public var tasks: Int
    public var rememberedKeys: Int
    public var rounds: Int

    public init(tasks: Int, rememberedKeys: Int? = nil, rounds: Int) {
        self.tasks = tasks
        self.rememberedKeys = rememberedKeys ?? tasks
        self.rounds = rounds
    }

    public struct Result: Sendable {
        public var tasks: Int
        public var rememberedKeys: Int
        public var bytes: Int
        /// Milliseconds per round: encoding the table; freezing it and making the next change;
        /// the first round of commands after a freeze; the same round without one.
        public var encode: [Double]
        public var handOff: [Double]
        public var firstApply: [Double]
        public var steadyApply: [Double]
        /// The last round's snapshot, for the follower's side (`SnapshotInstallBenchmark`).
        public var encoded: [UInt8] = []

        public var line: String {
            let e = median(encode), h = median(handOff)
            return "bench snapshot: tasks=\(tasks) remembered_keys=\(rememberedKeys) bytes=\(bytes) encode_p50_ms=\(fmt(e)) hand_off_p50_ms=\(fmt(h)) "
                + "encode_max_ms=\(fmt(encode.max() ?? 0)) hand_off_max_ms=\(fmt(handOff.max() ?? 0)) loop_saving=\(fmt(h > 0 ? e / h : 0))x "
                + "first_apply_after_capture_p50_ms=\(fmt(median(firstApply), 3)) first_apply_after_capture_max_ms=\(fmt(firstApply.max() ?? 0, 3)) "
                + "steady_apply_p50_ms=\(fmt(median(steadyApply), 4))"
        }

        func median(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.sorted()[v.count / 2] }
        func fmt(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }
    }

    public func run() -> Result {
        var queue = TaskQueueState()
        let spec = TaskSpec(kind: "echo", args: ["text": "soak"])
        var clockMs: UInt64 = 0
        var serial = 0
        /// Submits a task and runs it to success on n1.
        func finishOne(_ queue: inout TaskQueueState, key: String) {
            clockMs += 1
            for effect in queue.apply(.submit(key: key, spec: spec, at: clockMs)) {
                guard case .created(let id, _) = effect else { continue }
                _ = queue.apply(.assign(task: id, node: "n1", epoch: 1, at: clockMs))
                _ = queue.apply(.start(task: id, node: "n1", epoch: 1, at: clockMs))
                _ = queue.apply(.complete(task: id, node: "n1", epoch: 1, result: "soak", at: clockMs))
            }
        }
        for i in 0..<(tasks + rememberedKeys) { finishOne(&queue, key: "k-\(i)") }
        // Retention removes the oldest finished tasks, remembering their keys.
        _ = queue.apply(.expire(RetentionLimits(finishedBefore: 0, keepFinished: tasks, keysBefore: 0, limit: rememberedKeys), at: clockMs))
        /// One round touching every large structure: a task made, run and finished (table, key
        /// index, queue, loads, finishing order), the oldest finished one removed with its key
        /// remembered, the oldest remembered key forgotten. The table's size stays the same.
        func round(_ queue: inout TaskQueueState) {
            finishOne(&queue, key: "next-\(serial)")
            serial += 1
            // Forgets the oldest remembered key (none remembered: remembers none either).
            let keysBefore = queue.removedKeys(from: 0, limit: 1).keys.first.map { $0.submittedAt + 1 } ?? .max
            _ = queue.apply(.expire(RetentionLimits(finishedBefore: 0, keepFinished: tasks, keysBefore: keysBefore, limit: 1), at: clockMs))
        }
        let clock = ContinuousClock()
        var result = Result(tasks: tasks, rememberedKeys: rememberedKeys, bytes: 0, encode: [], handOff: [], firstApply: [], steadyApply: [])
        for r in 0..<rounds {
            let began = clock.now
            let bytes = queue.snapshot()
            result.encode.append(ms(clock.now - began))
            result.bytes = bytes.count
            result.encoded = bytes
            // The hand-off: a frozen copy for the encoder, then the next applied entry.
            let start = clock.now
            let frozen = queue
            _ = queue.apply(.submit(key: "hand-off-\(r)", spec: spec, at: clockMs))
            result.handOff.append(ms(clock.now - start))
            withExtendedLifetime(frozen) {}
            // The first round after a copy, then the same with no copy held (the mean of 100).
            let again = queue
            let first = clock.now
            round(&queue)
            result.firstApply.append(ms(clock.now - first))
            withExtendedLifetime(again) {}
            let steady = clock.now
            for _ in 0..<100 { round(&queue) }
            result.steadyApply.append(ms(clock.now - steady) / 100)
        }
        return result
    }

    func ms(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
    }
}
