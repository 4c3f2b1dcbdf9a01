import Foundation
import TaskQueue

/// What a snapshot costs the Raft loop, on a task table of `tasks` finished echo tasks. Before,
/// the loop encoded the whole table (`encode`); now it hands a frozen copy to another thread,
/// and pays only for the copy-on-write of the table's storage at the next change (`handOff`).
public struct SnapshotCostBenchmark: Sendable {
    public var tasks: Int
    public var rounds: Int

    public init(tasks: Int, rounds: Int) {
        self.tasks = tasks
        self.rounds = rounds
    }

    public struct Result: Sendable {
        public var tasks: Int
        public var bytes: Int
        /// Milliseconds per round: encoding the table; freezing it and making the next change.
        public var encode: [Double]
        public var handOff: [Double]

        public var line: String {
            let e = median(encode), h = median(handOff)
            return "bench snapshot: tasks=\(tasks) bytes=\(bytes) encode_p50_ms=\(fmt(e)) hand_off_p50_ms=\(fmt(h)) "
                + "encode_max_ms=\(fmt(encode.max() ?? 0)) hand_off_max_ms=\(fmt(handOff.max() ?? 0)) loop_saving=\(fmt(h > 0 ? e / h : 0))x"
        }

        func median(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.sorted()[v.count / 2] }
        func fmt(_ v: Double) -> String { String(format: "%.2f", v) }
    }

    public func run() -> Result {
        var queue = TaskQueueState()
        let spec = TaskSpec(kind: "echo", args: ["text": "soak"])
        for i in 0..<tasks {
            let at = UInt64(i)
            for effect in queue.apply(.submit(key: "k-\(i)", spec: spec, at: at)) {
                guard case .created(let id, _) = effect else { continue }
                _ = queue.apply(.assign(task: id, node: "n1", epoch: 1, at: at))
                _ = queue.apply(.start(task: id, node: "n1", epoch: 1, at: at))
                _ = queue.apply(.complete(task: id, node: "n1", epoch: 1, result: "soak", at: at))
            }
        }
        let clock = ContinuousClock()
        var result = Result(tasks: tasks, bytes: 0, encode: [], handOff: [])
        for round in 0..<rounds {
            let began = clock.now
            let bytes = queue.snapshot()
            result.encode.append(ms(clock.now - began))
            result.bytes = bytes.count
            // The hand-off: a frozen copy for the encoder, then the next applied entry.
            let start = clock.now
            let frozen = queue
            _ = queue.apply(.submit(key: "next-\(round)", spec: spec, at: UInt64(tasks + round)))
            result.handOff.append(ms(clock.now - start))
            withExtendedLifetime(frozen) {}
        }
        return result
    }

    func ms(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
    }
}
