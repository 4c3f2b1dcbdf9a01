import BinaryCoding
import Testing
@testable import TaskQueue

@Suite("Retention: finished tasks removed, keys remembered for the window")
struct RetentionTests {
    /// Submits `n` tasks at `at`, runs each to success on n1, finishing at `at + i`.
    static func finished(_ n: Int, keyPrefix: String = "k", at: UInt64 = 1_000, into state: inout TaskQueueState) -> [TaskID] {
        let ids = Fixtures.submit(&state, keys: (0..<n).map { "\(keyPrefix)\($0)" }, at: at)
        for (i, id) in ids.enumerated() {
            _ = state.apply(.assign(task: id, node: "n1", epoch: 1, at: at + UInt64(i)))
            _ = state.apply(.complete(task: id, node: "n1", epoch: 1, result: "ok", at: at + UInt64(i)))
        }
        return ids
    }

    static func limits(before: UInt64 = 0, keep: Int = .max, keysBefore: UInt64 = 0, limit: Int = 1_000) -> RetentionLimits {
        RetentionLimits(finishedBefore: before, keepFinished: keep, keysBefore: keysBefore, limit: limit)
    }

    @Test func theCountKeepsTheLatestFinishedAndNeverTouchesUnfinishedTasks() {
        var state = TaskQueueState()
        let done = Self.finished(10, into: &state)
        let waiting = Fixtures.submit(&state, keys: ["q1", "q2"], at: 1)
        #expect(state.hasExpired(Self.limits(keep: 3)))
        #expect(state.apply(.expire(Self.limits(keep: 3), at: 5_000)) == [.expired(tasks: 7, keys: 0)])
        #expect(state.tasks.map(\.id) == Array(done.suffix(3)) + waiting)
        #expect(state.taskCount == 5 && state.finishedCount == 3 && state.removedTasks == 7)
        #expect(state.counts()[.succeeded] == 3 && state.counts()[.queued] == 2)
        #expect(!state.hasExpired(Self.limits(keep: 3)))
        #expect(state.apply(.expire(Self.limits(keep: 3), at: 5_001)) == [])
        // Ids are never reused after removals.
        #expect(Fixtures.submit(&state, keys: ["new"]) == ["t-13"])
        #expect(state.task(done[0]) == nil && state.wasRemoved(done[0]) && !state.wasRemoved("t-14"))
        #expect(Invariants.violations(of: state).isEmpty)
    }

    @Test func finishingOrderNotIdOrderDecidesWhatGoesFirst() {
        var state = TaskQueueState()
        let ids = Fixtures.submit(&state, keys: ["a", "b"], at: 1)
        for (id, at) in [(ids[1], UInt64(10)), (ids[0], UInt64(20))] {
            _ = state.apply(.assign(task: id, node: "n1", epoch: 1, at: at))
            _ = state.apply(.complete(task: id, node: "n1", epoch: 1, result: "", at: at))
        }
        _ = state.apply(.expire(Self.limits(keep: 1), at: 30))
        #expect(state.tasks.map(\.id) == [ids[0]], "t-2 finished first, so it is removed first")
    }

    @Test func theAgeCutOffAndTheBatchLimitAreHonoured() {
        var state = TaskQueueState()
        _ = Self.finished(10, at: 1_000, into: &state)   // finished at 1000...1009
        _ = state.apply(.expire(Self.limits(before: 1_005, limit: 2), at: 2_000))
        #expect(state.removedTasks == 2, "at most `limit` a command")
        _ = state.apply(.expire(Self.limits(before: 1_005, limit: 100), at: 2_000))
        #expect(state.removedTasks == 5, "only those finished before the cut-off")
        #expect(state.tasks.map(\.updatedAt) == [1_005, 1_006, 1_007, 1_008, 1_009])
    }

    @Test func aRetryInsideTheKeyWindowIsADuplicateEvenAfterItsTaskWasRemoved() {
        var state = TaskQueueState()
        let ids = Self.finished(3, at: 1_000, into: &state)
        _ = state.apply(.expire(Self.limits(keep: 0, keysBefore: 500), at: 2_000))
        #expect(state.taskCount == 0 && state.rememberedKeyCount == 3)
        #expect(state.apply(.submit(key: "k1", spec: Fixtures.spec(), at: 2_001)) == [.duplicate(ids[1], key: "k1")])
        #expect(state.taskCount == 0, "no second task")
        // The window passes: the key is forgotten, and a submit with it makes a new task.
        #expect(state.apply(.expire(Self.limits(keep: 0, keysBefore: 1_001), at: 9_000)) == [.expired(tasks: 0, keys: 3)])
        #expect(state.rememberedKeyCount == 0 && state.forgottenKeys == 3)
        #expect(state.apply(.submit(key: "k1", spec: Fixtures.spec(), at: 9_001)) == [.created("t-4", key: "k1")])
    }

    @Test func keysAlreadyOutsideTheWindowAreNotRemembered() {
        var state = TaskQueueState()
        _ = Self.finished(2, at: 1_000, into: &state)
        _ = state.apply(.expire(Self.limits(keep: 0, keysBefore: 5_000), at: 9_000))
        #expect(state.taskCount == 0 && state.rememberedKeyCount == 0)
    }

    @Test func removedKeysPageBySerial() {
        var state = TaskQueueState()
        _ = Self.finished(5, at: 1_000, into: &state)
        _ = state.apply(.expire(Self.limits(keep: 0, keysBefore: 1), at: 2_000))
        let first = state.removedKeys(from: 0, limit: 2)
        #expect(first.keys.map(\.key) == ["k0", "k1"] && first.next == 2)
        #expect(state.removedKeys(from: 2, limit: 10).keys.map(\.id) == ["t-3", "t-4", "t-5"])
        #expect(state.removedKeys(from: 2, limit: 10).next == nil)
    }

    @Test func pagesWalkEveryTaskOnceInEitherOrder() {
        var state = TaskQueueState()
        _ = Self.finished(10, into: &state)
        _ = state.apply(.expire(Self.limits(keep: 6), at: 5_000))   // t-1...t-4 gone
        var seen: [TaskID] = []
        var after: TaskID?
        repeat {
            let page = state.page(after: after, descending: false, limit: 4, scanLimit: 100) { _ in true }
            seen += page.tasks.map(\.id)
            after = page.next
        } while after != nil
        #expect(seen == (5...10).map { "t-\($0)" })
        let newest = state.page(after: "t-9", descending: true, limit: 2, scanLimit: 100) { _ in true }
        #expect(newest.tasks.map(\.id) == ["t-8", "t-7"] && newest.next == "t-7")
        // The scan limit bounds a filtered page: it comes back short, with where to go on.
        let none = state.page(after: nil, descending: false, limit: 4, scanLimit: 3) { $0.state == .queued }
        #expect(none.tasks.isEmpty && none.next == "t-7")
    }

    @Test(arguments: 1...8)
    func replicasApplyingTheSameCommandsStayEqualThroughSnapshots(seed: Int) throws {
        var generator = CommandGenerator(seed: UInt64(seed) &* 7_919)
        generator.expireChance = 0.08
        var leader = TaskQueueState()
        var follower = TaskQueueState()
        for step in 1...900 {
            for command in generator.next(for: leader) {
                #expect(follower.apply(command) == leader.apply(command))
            }
            if step % 200 == 0 {
                // A replica restored from a snapshot removes exactly what the others do from then on.
                follower = try TaskQueueState(snapshot: leader.snapshot())
                #expect(follower.snapshot() == leader.snapshot())
            }
            #expect(Invariants.violations(of: leader).isEmpty)
        }
        #expect(follower == leader)
        #expect(leader.removedTasks > 0)
    }

    @Test func aSnapshotCarriesGapsTheFinishingOrderAndRememberedKeys() throws {
        var state = TaskQueueState()
        _ = Self.finished(6, at: 1_000, into: &state)
        _ = Fixtures.submit(&state, keys: ["open"], at: 1_100)
        _ = state.apply(.expire(Self.limits(keep: 2, keysBefore: 900), at: 2_000))
        let restored = try TaskQueueState(snapshot: state.snapshot())
        #expect(restored == state)
        #expect(restored.tasks.map(\.id) == ["t-5", "t-6", "t-7"])
        #expect(restored.removedTask(forKey: "k0") == "t-1")
        var a = state, b = restored
        #expect(a.apply(.expire(Self.limits(keep: 1), at: 3_000)) == b.apply(.expire(Self.limits(keep: 1), at: 3_000)))
        #expect(a == b && a.tasks.map(\.id) == ["t-6", "t-7"])
        var c = restored
        #expect(c.apply(.submit(key: "k2", spec: Fixtures.spec(), at: 3_001)) == [.duplicate("t-3", key: "k2")])
        #expect(c.apply(.submit(key: "fresh", spec: Fixtures.spec(), at: 3_001)) == [.created("t-8", key: "fresh")])
    }

    /// A node upgraded onto a format-2 snapshot (every task ever made) reads it and can expire from it.
    @Test func aFormatTwoSnapshotIsStillRead() throws {
        var state = TaskQueueState()
        _ = Self.finished(3, at: 1_000, into: &state)
        var w = legacySnapshotTasks(state, format: 2)
        w.write(varint: 0)
        w.write(varint: 0)
        w.write(varint: 3)
        var restored = try TaskQueueState(snapshot: w.bytes)
        #expect(restored == state)
        _ = restored.apply(.expire(Self.limits(keep: 1), at: 2_000))
        _ = state.apply(.expire(Self.limits(keep: 1), at: 2_000))
        #expect(restored == state && restored.tasks.map(\.id) == ["t-3"])
    }

    @Test func aRememberedKeyThatClashesIsRejected() throws {
        var state = TaskQueueState()
        _ = Self.finished(2, at: 1_000, into: &state)
        _ = state.apply(.expire(Self.limits(keep: 1, keysBefore: 1), at: 2_000))
        var bytes = state.snapshot()
        // The remembered key "k0" is the last string written; make it "k1", which t-2 holds.
        let at = try #require(bytes.lastIndex(of: UInt8(ascii: "0")))
        bytes[at] = UInt8(ascii: "1")
        #expect(throws: DecodingError.self) { try TaskQueueState(snapshot: bytes) }
    }

    @Test func theCommandRoundTrips() throws {
        let command = Command.expire(Self.limits(before: .max, keep: .max, keysBefore: 7, limit: 1), at: 9)
        #expect(try Command.decode(command.encode()) == command)
    }
}
