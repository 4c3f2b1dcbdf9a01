import BinaryCoding
import Testing
@testable import TaskQueue

@Suite("Snapshot and restore")
struct SnapshotTests {
    @Test func emptyStateRoundTrips() throws {
        let empty = TaskQueueState()
        let bytes = empty.snapshot()
        let restored = try TaskQueueState(snapshot: bytes)
        #expect(restored == empty)
        #expect(restored.snapshot() == bytes)
    }

    /// A node upgraded onto an older data directory reads its format-1 snapshot: no start times yet.
    @Test func aFormatOneSnapshotIsStillRead() throws {
        var state = TaskQueueState()
        _ = state.apply(.submit(key: "a", spec: TaskSpec(kind: "echo", args: ["text": "x"]), at: 10))
        _ = state.apply(.submit(key: "b", spec: TaskSpec(kind: "sleep"), at: 11))
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 12))
        var w = legacySnapshotTasks(state, format: 1)
        w.write(varint: 1)
        w.write(varint: 1)
        w.write(varint: 0)
        w.write(varint: 0)
        let restored = try TaskQueueState(snapshot: w.bytes)
        #expect(restored == state)
        #expect(restored.tasks.allSatisfy { $0.startedAt == nil })
    }

    @Test func aStartIsStampedAndSurvivesASnapshot() throws {
        var state = TaskQueueState()
        _ = state.apply(.submit(key: "a", spec: TaskSpec(kind: "sleep"), at: 100))
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 104))
        #expect(state.task("t-1")?.startedAt == nil)
        _ = state.apply(.start(task: "t-1", node: "n1", epoch: 1, at: 0))
        #expect(state.task("t-1")?.startedAt == 0, "a start at time 0 is still a start")
        let restored = try TaskQueueState(snapshot: state.snapshot())
        #expect(restored.task("t-1")?.startedAt == 0)
        #expect(restored == state)
    }

    @Test(arguments: 1...12)
    func roundTripAfterRandomCommands(seed: Int) throws {
        var generator = CommandGenerator(seed: UInt64(seed) &* 0x9e37)
        var state = TaskQueueState()
        for step in 1...600 {
            for command in generator.next(for: state) { _ = state.apply(command) }
            guard step % 150 == 0 else { continue }
            let bytes = state.snapshot()
            let restored = try TaskQueueState(snapshot: bytes)
            #expect(restored == state)
            #expect(restored.snapshot() == bytes)
            #expect(restored.tasks == state.tasks)
            #expect(restored.queued == state.queued)
            #expect(restored.counts() == state.counts())
            for node in CommandGenerator.nodes + ["n9"] { #expect(restored.load(on: node) == state.load(on: node)) }
            for record in state.tasks { #expect(restored.task(forKey: record.key) == record) }
            #expect(restored.staleRejections == state.staleRejections)
            #expect(restored.acceptedCompletions == state.acceptedCompletions)
            #expect(restored.schedule(capacity: ["n1": 3, "n2": 2, "n3": 4], at: 5)
                == state.schedule(capacity: ["n1": 3, "n2": 2, "n3": 4], at: 5))
        }
        #expect(state.tasks.count > 20)
    }

    @Test(arguments: 1...6)
    func restoredReplicaStaysInStep(seed: Int) throws {
        var generator = CommandGenerator(seed: UInt64(seed) + 1_000)
        var original = TaskQueueState()
        for _ in 0..<300 {
            for command in generator.next(for: original) { _ = original.apply(command) }
        }
        var restored = try TaskQueueState(snapshot: original.snapshot())
        for _ in 0..<300 {
            for command in generator.next(for: original) {
                #expect(restored.apply(command) == original.apply(command))
            }
        }
        #expect(restored == original)
        #expect(restored.snapshot() == original.snapshot())
    }

    @Test func everyTruncationThrows() {
        let bytes = CommandGenerator.randomState(seed: 5, steps: 60).snapshot()
        #expect(bytes.count > 100)
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try TaskQueueState(snapshot: Array(bytes.prefix(length))) }
        }
        #expect(throws: DecodingError.self) { try TaskQueueState(snapshot: bytes + [0]) }
    }

    @Test func unknownFormatIsRejected() {
        var bytes = TaskQueueState().snapshot()
        bytes[0] = 4
        #expect(throws: DecodingError.unknownTag(offset: 0, tag: 4, type: "task queue snapshot format")) {
            try TaskQueueState(snapshot: bytes)
        }
    }

    /// Hand-built snapshots that parse but describe states `apply` can never reach.
    @Test func inconsistentSnapshotsAreRejected() throws {
        struct Task {
            var key = "k"
            var maxAttempts = 3
            var state: UInt8 = 0
            var node: String?
            var epoch: UInt64 = 0
        }
        func snapshot(_ tasks: [Task], queue: [Int], accepted: Int = 0) -> [UInt8] {
            var w = ByteWriter()
            w.write(UInt8(1))
            w.write(varint: tasks.count)
            for task in tasks {
                w.write(task.key)
                w.write("echo")
                w.write(varint: 0)                   // args
                w.write(optional: nil)               // target
                w.write(varint: task.maxAttempts)
                w.write(false)                       // timeoutMs
                w.write(task.state)
                w.write(optional: task.node)
                w.write(varint: task.epoch)
                w.write(varint: task.epoch)          // attempts
                w.write(varint: 1)                   // submittedAt
                w.write(varint: 1)                   // updatedAt
                w.write(optional: nil)               // result
                w.write(optional: nil)               // error
            }
            w.write(varint: queue.count)
            for p in queue { w.write(varint: p) }
            w.write(varint: 0)                       // staleRejections
            w.write(varint: accepted)
            return w.bytes
        }
        // The builder itself produces acceptable snapshots.
        let valid = try TaskQueueState(snapshot: snapshot([Task(key: "a"), Task(key: "b")], queue: [1, 0]))
        #expect(valid.queued == ["t-2", "t-1"])
        let done = try TaskQueueState(snapshot: snapshot([Task(state: 3, node: "n1", epoch: 1)], queue: [], accepted: 1))
        #expect(done.acceptedCompletions == 1)

        let bad: [(String, [UInt8])] = [
            ("repeated key", snapshot([Task(key: "a"), Task(key: "a")], queue: [0, 1])),
            ("empty key", snapshot([Task(key: "")], queue: [0])),
            ("maxAttempts 0", snapshot([Task(maxAttempts: 0)], queue: [0])),
            ("unknown state", snapshot([Task(state: 7)], queue: [])),
            ("queued task missing from queue", snapshot([Task()], queue: [])),
            ("queue entry repeated", snapshot([Task(key: "a"), Task(key: "b")], queue: [0, 0])),
            ("queue entry out of range", snapshot([Task()], queue: [1])),
            ("queue entry not queued", snapshot([Task(key: "a", state: 3, node: "n1", epoch: 1), Task(key: "b")], queue: [0])),
            ("queued task with a node", snapshot([Task(node: "n1")], queue: [0])),
            ("assigned task without node", snapshot([Task(state: 1, epoch: 1)], queue: [])),
            ("running task at epoch 0", snapshot([Task(state: 2, node: "n1")], queue: [])),
            ("completions without success", snapshot([Task()], queue: [0], accepted: 1)),
            ("success without completion", snapshot([Task(state: 3, node: "n1", epoch: 1)], queue: [], accepted: 0)),
        ]
        for (reason, bytes) in bad {
            #expect(throws: DecodingError.self, "\(reason)") { try TaskQueueState(snapshot: bytes) }
        }
    }
}

/// The task records of a snapshot in an old format, as a node of that version wrote them: format
/// 1, and format 2, which added each task's start time. What follows the records is the caller's.
func legacySnapshotTasks(_ state: TaskQueueState, format: UInt8) -> ByteWriter {
    var w = ByteWriter()
    w.write(format)
    w.write(varint: state.tasks.count)
    for r in state.tasks {
        w.write(r.key)
        r.spec.encode(into: &w)
        w.write(UInt8(r.state.code))
        w.write(optional: r.node)
        w.write(varint: r.epoch)
        w.write(varint: r.attempts)
        w.write(varint: r.submittedAt)
        w.write(varint: r.updatedAt)
        w.write(optional: r.result)
        w.write(optional: r.error)
        if format >= 2 { w.write(varint: r.startedAt.map { $0 + 1 } ?? 0) }
    }
    return w
}
