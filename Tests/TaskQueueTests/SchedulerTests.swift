import BinaryCoding
import Testing
import TaskQueue

@Suite("Scheduler")
struct SchedulerTests {
    /// The (task, node) pairs of a batch of assigns.
    static func placements(_ commands: [Command]) -> [String] {
        commands.map {
            if case let .assign(task, node, _, _) = $0 { "\(task)@\(node)" } else { "not an assign: \($0)" }
        }
    }

    @Test func assignsInFifoOrderWithNextEpochAndTimestamp() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["a", "b", "c"])
        let commands = state.schedule(capacity: ["n1": 10], at: 77)
        #expect(commands == [
            .assign(task: "t-1", node: "n1", epoch: 1, at: 77),
            .assign(task: "t-2", node: "n1", epoch: 1, at: 77),
            .assign(task: "t-3", node: "n1", epoch: 1, at: 77),
        ])
        for command in commands { #expect(!state.apply(command).anyRejected) }
        #expect(state.load(on: "n1") == 3)
    }

    @Test func fifoFollowsQueueOrderNotSubmissionOrder() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["a", "b", "c"])
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 2))
        _ = state.apply(.fail(task: "t-1", node: "n1", epoch: 1, message: "x", at: 3))
        #expect(state.queued == ["t-2", "t-3", "t-1"])
        #expect(state.schedule(capacity: ["n1": 5], at: 4) == [
            .assign(task: "t-2", node: "n1", epoch: 1, at: 4),
            .assign(task: "t-3", node: "n1", epoch: 1, at: 4),
            .assign(task: "t-1", node: "n1", epoch: 2, at: 4),
        ])
    }

    @Test func picksTheRoomiestNodeAndBreaksTiesByID() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: (1...6).map { "k\($0)" })
        let commands = state.schedule(capacity: ["n2": 2, "n1": 2, "n3": 1], at: 5)
        // Free n1 2, n2 2, n3 1: n1 (tie, lower id), n2, n1 (tie of three at 1), n2, n3, then all full.
        #expect(Self.placements(commands) == ["t-1@n1", "t-2@n2", "t-3@n1", "t-4@n2", "t-5@n3"])
    }

    @Test func honoursExistingLoad() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["a", "b", "c", "d"])
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 2))
        _ = state.apply(.assign(task: "t-2", node: "n1", epoch: 1, at: 2))
        _ = state.apply(.start(task: "t-2", node: "n1", epoch: 1, at: 3))
        // n1: 3 slots, 2 used -> 1 free; n2: 1 free. Tie -> n1 first.
        #expect(Self.placements(state.schedule(capacity: ["n1": 3, "n2": 1], at: 4)) == ["t-3@n1", "t-4@n2"])
        // Over capacity (capacity lowered below load) gives no room, never a negative one.
        #expect(state.schedule(capacity: ["n1": 1], at: 4).isEmpty)
        #expect(state.schedule(capacity: ["n1": -3, "n2": 0], at: 4).isEmpty)
        #expect(state.schedule(capacity: [:], at: 4).isEmpty)
    }

    @Test func targetedTasksWaitWithoutBlockingOthers() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["x1"], spec: Fixtures.spec(target: "n2"))
        Fixtures.submit(&state, keys: ["x2"], spec: Fixtures.spec(target: "n9"))
        Fixtures.submit(&state, keys: ["a"])
        Fixtures.submit(&state, keys: ["x3"], spec: Fixtures.spec(target: "n1"))
        Fixtures.submit(&state, keys: ["b"])
        // n2 is full, n9 is not in the cluster: t-1 and t-2 wait, the rest go ahead.
        _ = state.apply(.assign(task: "t-3", node: "n2", epoch: 1, at: 2))
        #expect(Self.placements(state.schedule(capacity: ["n1": 5, "n2": 1], at: 3)) == ["t-4@n1", "t-5@n1"])
        // A targeted task never lands elsewhere, even when its node is the least free.
        #expect(Self.placements(state.schedule(capacity: ["n1": 5, "n2": 2], at: 3)) == ["t-1@n2", "t-4@n1", "t-5@n1"])
    }

    @Test func targetedTaskTakesTheLastSlotBeforeLaterTasks() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["a"], spec: Fixtures.spec(target: "n1"))
        Fixtures.submit(&state, keys: ["b", "c"])
        #expect(Self.placements(state.schedule(capacity: ["n1": 1, "n2": 1], at: 3)) == ["t-1@n1", "t-2@n2"])
    }

    @Test func respectsTheLimit() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: (1...100).map { "k\($0)" })
        #expect(state.schedule(capacity: ["n1": 1000], at: 1).count == 64)
        #expect(Self.placements(state.schedule(capacity: ["n1": 1000], at: 1, limit: 3)) == ["t-1@n1", "t-2@n1", "t-3@n1"])
        #expect(state.schedule(capacity: ["n1": 1000], at: 1, limit: 0).isEmpty)
        #expect(state.schedule(capacity: ["n1": 1000], at: 1, limit: -1).isEmpty)
        #expect(state.schedule(capacity: ["n1": Int.max, "n2": Int.max], at: 1, limit: 2).count == 2)
    }

    @Test func tenThousandQueuedTasks() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: (1...10_000).map { "blocked-\($0)" }, spec: Fixtures.spec(target: "n9"))
        Fixtures.submit(&state, keys: (1...10_000).map { "free-\($0)" })
        #expect(state.queued.count == 20_000)
        let commands = state.schedule(capacity: ["n1": 40, "n2": 40, "n3": 40], at: 1, limit: 100)
        #expect(commands.count == 100)
        #expect(Self.placements(commands).first == "t-10001@n1")
        #expect(Self.placements(commands).last == "t-10100@n1")
        for command in commands { _ = state.apply(command) }
        #expect(state.load(on: "n1") + state.load(on: "n2") + state.load(on: "n3") == 100)
        // Drain: every untargeted task is eventually placed; the targeted ones still wait.
        var rounds = 0
        while case let batch = state.schedule(capacity: ["n1": 10_000, "n2": 10_000], at: 2, limit: 1_000), !batch.isEmpty {
            for command in batch { _ = state.apply(command) }
            rounds += 1
        }
        #expect(rounds == 10)
        #expect(state.queued.count == 10_000)
        #expect(state.counts()[.assigned] == 10_000)
    }

    /// The scheduler as the spec states it, written the slow, obvious way.
    static func reference(_ state: TaskQueueState, capacity: [String: Int], at: UInt64, limit: Int) -> [Command] {
        var free = capacity.mapValues { max(0, $0) }
        for (node, _) in free { free[node]! = max(0, free[node]! - state.load(on: node)) }
        var out: [Command] = []
        for id in state.queued where out.count < limit {
            guard let record = state.task(id) else { continue }
            let node: String?
            if let target = record.spec.target {
                node = (free[target] ?? 0) > 0 ? target : nil
            } else {
                node = free.filter { $0.value > 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.first?.key
            }
            if let node {
                free[node]! -= 1
                out.append(.assign(task: id, node: node, epoch: record.epoch + 1, at: at))
            }
        }
        return out
    }

    @Test(arguments: 1...30)
    func agreesWithTheReferenceOnRandomStates(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) * 7919)
        var generator = CommandGenerator(seed: UInt64(seed))
        var state = TaskQueueState()
        for step in 0..<400 {
            for command in generator.next(for: state) { _ = state.apply(command) }
            guard step % 10 == 0 else { continue }
            var capacity: [String: Int] = [:]
            for node in ["n1", "n2", "n3", "n4"] where rng.chance(0.75) { capacity[node] = rng.below(6) - 1 }
            let limit = rng.below(12)
            let got = state.schedule(capacity: capacity, at: 9, limit: limit)
            let want = Self.reference(state, capacity: capacity, at: 9, limit: limit)
            #expect(got == want, "seed \(seed) step \(step) capacity \(capacity) limit \(limit)")
            // Whatever the scheduler proposes, the state machine accepts.
            var copy = state
            for command in got { #expect(!copy.apply(command).anyRejected) }
        }
    }
}
