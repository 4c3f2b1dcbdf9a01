import Testing
import TaskQueue

@Suite("Task lifecycle")
struct LifecycleTests {
    @Test func queuedAssignedRunningSucceeded() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["k"], at: 100)
        #expect(state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 110)) == [.assigned("t-1", node: "n1", epoch: 1)])
        var record = state.task("t-1")
        #expect(record?.state == .assigned)
        #expect(record?.node == "n1")
        #expect(record?.epoch == 1)
        #expect(record?.attempts == 1)
        #expect(record?.updatedAt == 110)
        #expect(state.queued.isEmpty)
        #expect(state.load(on: "n1") == 1)

        #expect(state.apply(.start(task: "t-1", node: "n1", epoch: 1, at: 120)) == [.started("t-1", node: "n1", epoch: 1)])
        #expect(state.task("t-1")?.state == .running)
        #expect(state.load(on: "n1") == 1)

        #expect(state.apply(.complete(task: "t-1", node: "n1", epoch: 1, result: "hello", at: 130))
            == [.succeeded("t-1", node: "n1", epoch: 1)])
        record = state.task("t-1")
        #expect(record?.state == .succeeded)
        #expect(record?.result == "hello")
        #expect(record?.node == "n1")
        #expect(record?.submittedAt == 100)
        #expect(record?.updatedAt == 130)
        #expect(state.load(on: "n1") == 0)
        #expect(state.acceptedCompletions == 1)
        #expect(state.staleRejections == 0)
        #expect(state.counts() == [.queued: 0, .assigned: 0, .running: 0, .succeeded: 1, .failed: 0, .cancelled: 0, .timedOut: 0])
    }

    @Test func completeStraightFromAssignedIsAccepted() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["k"])
        _ = state.apply(.assign(task: "t-1", node: "n2", epoch: 1, at: 2))
        #expect(state.apply(.complete(task: "t-1", node: "n2", epoch: 1, result: "r", at: 3))
            == [.succeeded("t-1", node: "n2", epoch: 1)])
    }

    @Test func duplicateCompletionIsRejectedAndSuccessStaysSingle() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["k"])
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 2))
        _ = state.apply(.complete(task: "t-1", node: "n1", epoch: 1, result: "first", at: 3))
        let again = state.apply(.complete(task: "t-1", node: "n1", epoch: 1, result: "second", at: 4))
        #expect(again == [.rejected(.invalidState(task: "t-1", state: .succeeded, command: "complete"))])
        #expect(state.task("t-1")?.result == "first")
        #expect(state.task("t-1")?.updatedAt == 3)
        #expect(state.acceptedCompletions == 1)
    }

    @Test func assignChecksStateEpochAndTarget() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["a"])
        Fixtures.submit(&state, keys: ["b"], spec: Fixtures.spec(target: "n2"))
        #expect(state.apply(.assign(task: "t-1", node: "n1", epoch: 2, at: 2))
            == [.rejected(.staleEpoch(task: "t-1", expected: 1, got: 2))])
        #expect(state.apply(.assign(task: "t-1", node: "n1", epoch: 0, at: 2))
            == [.rejected(.staleEpoch(task: "t-1", expected: 1, got: 0))])
        #expect(state.apply(.assign(task: "t-2", node: "n1", epoch: 1, at: 2))
            == [.rejected(.wrongNode(task: "t-2", expected: "n2", got: "n1"))])
        #expect(state.apply(.assign(task: "t-9", node: "n1", epoch: 1, at: 2)) == [.rejected(.unknownTask("t-9"))])
        #expect(state.queued == ["t-1", "t-2"])
        #expect(state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 3)) == [.assigned("t-1", node: "n1", epoch: 1)])
        #expect(state.apply(.assign(task: "t-1", node: "n1", epoch: 2, at: 3))
            == [.rejected(.invalidState(task: "t-1", state: .assigned, command: "assign"))])
        #expect(state.apply(.assign(task: "t-2", node: "n2", epoch: 1, at: 3)) == [.assigned("t-2", node: "n2", epoch: 1)])
        // Rejected assigns are not stale reports from a worker: they are not counted.
        #expect(state.staleRejections == 0)
    }

    @Test func startIsFencedAndOnlyFromAssigned() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["a"])
        #expect(state.apply(.start(task: "t-1", node: "n1", epoch: 0, at: 2))
            == [.rejected(.wrongNode(task: "t-1", expected: nil, got: "n1"))])
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 2))
        #expect(state.apply(.start(task: "t-1", node: "n2", epoch: 1, at: 3))
            == [.rejected(.wrongNode(task: "t-1", expected: "n1", got: "n2"))])
        #expect(state.apply(.start(task: "t-1", node: "n1", epoch: 7, at: 3))
            == [.rejected(.staleEpoch(task: "t-1", expected: 1, got: 7))])
        #expect(state.staleRejections == 3)
        #expect(state.task("t-1")?.state == .assigned)
        #expect(state.apply(.start(task: "t-1", node: "n1", epoch: 1, at: 4)) == [.started("t-1", node: "n1", epoch: 1)])
        #expect(state.apply(.start(task: "t-1", node: "n1", epoch: 1, at: 5))
            == [.rejected(.invalidState(task: "t-1", state: .running, command: "start"))])
        #expect(state.staleRejections == 3)
    }

    @Test func failRetriesUntilMaxAttemptsThenFails() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["other"])
        Fixtures.submit(&state, keys: ["k"], spec: Fixtures.spec(maxAttempts: 3))
        for attempt in 1...3 {
            let epoch = UInt64(attempt)
            #expect(state.apply(.assign(task: "t-2", node: "n1", epoch: epoch, at: 10)) == [.assigned("t-2", node: "n1", epoch: epoch)])
            #expect(state.task("t-2")?.attempts == attempt)
            _ = state.apply(.start(task: "t-2", node: "n1", epoch: epoch, at: 11))
            let effects = state.apply(.fail(task: "t-2", node: "n1", epoch: epoch, message: "boom \(attempt)", at: 12))
            let record = state.task("t-2")
            #expect(record?.error == "boom \(attempt)")
            #expect(state.load(on: "n1") == 0)
            if attempt < 3 {
                #expect(effects == [.retried("t-2", attempt: attempt + 1)])
                #expect(record?.state == .queued)
                #expect(record?.node == nil)
                // A retried task rejoins the back of the queue.
                #expect(state.queued == ["t-1", "t-2"])
            } else {
                #expect(effects == [.failed("t-2")])
                #expect(record?.state == .failed)
                #expect(record?.node == "n1")
                #expect(state.queued == ["t-1"])
            }
        }
        #expect(state.counts()[.failed] == 1)
        #expect(state.apply(.assign(task: "t-2", node: "n1", epoch: 4, at: 20))
            == [.rejected(.invalidState(task: "t-2", state: .failed, command: "assign"))])
    }

    @Test func singleAttemptFailsAtOnce() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["k"], spec: Fixtures.spec(maxAttempts: 1))
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 2))
        #expect(state.apply(.fail(task: "t-1", node: "n1", epoch: 1, message: "no", at: 3)) == [.failed("t-1")])
    }

    @Test func staleFailIsRejectedAndCounted() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["k"])
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 2))
        _ = state.apply(.fail(task: "t-1", node: "n1", epoch: 1, message: "first", at: 3))
        // The same failure delivered twice: the task is queued again and no longer held by n1.
        #expect(state.apply(.fail(task: "t-1", node: "n1", epoch: 1, message: "first", at: 4))
            == [.rejected(.wrongNode(task: "t-1", expected: nil, got: "n1"))])
        _ = state.apply(.assign(task: "t-1", node: "n2", epoch: 2, at: 5))
        #expect(state.apply(.fail(task: "t-1", node: "n1", epoch: 1, message: "late", at: 6))
            == [.rejected(.staleEpoch(task: "t-1", expected: 2, got: 1))])
        #expect(state.staleRejections == 2)
        #expect(state.task("t-1")?.attempts == 2)
        #expect(state.task("t-1")?.error == "first")
    }

    @Test func timeoutRetriesUntilMaxAttemptsThenTimesOut() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["k"], spec: Fixtures.spec(maxAttempts: 2, timeoutMs: 500))
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 10))
        _ = state.apply(.start(task: "t-1", node: "n1", epoch: 1, at: 11))
        #expect(state.apply(.timeout(task: "t-1", epoch: 1, at: 600)) == [.retried("t-1", attempt: 2)])
        #expect(state.task("t-1")?.state == .queued)
        #expect(state.task("t-1")?.node == nil)
        #expect(state.load(on: "n1") == 0)
        // A second timeout for the same attempt finds the task queued.
        #expect(state.apply(.timeout(task: "t-1", epoch: 1, at: 601))
            == [.rejected(.invalidState(task: "t-1", state: .queued, command: "timeout"))])
        _ = state.apply(.assign(task: "t-1", node: "n2", epoch: 2, at: 700))
        #expect(state.apply(.timeout(task: "t-1", epoch: 1, at: 701))
            == [.rejected(.staleEpoch(task: "t-1", expected: 2, got: 1))])
        #expect(state.apply(.timeout(task: "t-1", epoch: 2, at: 1300)) == [.timedOut("t-1")])
        let record = state.task("t-1")
        #expect(record?.state == .timedOut)
        #expect(record?.node == "n2")
        #expect(record?.attempts == 2)
        #expect(record?.error != nil)
        #expect(state.load(on: "n2") == 0)
        #expect(state.counts()[.timedOut] == 1)
        // The timed-out attempt's worker reports late: too late.
        #expect(state.apply(.complete(task: "t-1", node: "n2", epoch: 2, result: "late", at: 1400))
            == [.rejected(.invalidState(task: "t-1", state: .timedOut, command: "complete"))])
        #expect(state.acceptedCompletions == 0)
    }

    /// Drives a fresh task into `state` and returns the queue with it.
    static func queue(withTaskIn target: TaskState) -> TaskQueueState {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["k"], spec: Fixtures.spec(maxAttempts: 1))
        let steps: [TaskState: [Command]] = [
            .queued: [],
            .assigned: [.assign(task: "t-1", node: "n1", epoch: 1, at: 2)],
            .running: [.assign(task: "t-1", node: "n1", epoch: 1, at: 2), .start(task: "t-1", node: "n1", epoch: 1, at: 3)],
            .succeeded: [.assign(task: "t-1", node: "n1", epoch: 1, at: 2),
                         .complete(task: "t-1", node: "n1", epoch: 1, result: "ok", at: 3)],
            .failed: [.assign(task: "t-1", node: "n1", epoch: 1, at: 2),
                      .fail(task: "t-1", node: "n1", epoch: 1, message: "x", at: 3)],
            .cancelled: [.cancel(task: "t-1", at: 2)],
            .timedOut: [.assign(task: "t-1", node: "n1", epoch: 1, at: 2), .timeout(task: "t-1", epoch: 1, at: 3)],
        ]
        for command in steps[target] ?? [] { _ = state.apply(command) }
        return state
    }

    @Test(arguments: [TaskState.queued, .assigned, .running])
    func cancelFromEveryNonFinalState(_ from: TaskState) {
        var state = Self.queue(withTaskIn: from)
        #expect(state.task("t-1")?.state == from)
        #expect(state.apply(.cancel(task: "t-1", at: 50)) == [.cancelled("t-1")])
        #expect(state.task("t-1")?.state == .cancelled)
        #expect(state.task("t-1")?.updatedAt == 50)
        // A cancelled task remembers its last assignee, if it had one.
        #expect(state.task("t-1")?.node == (from == .queued ? nil : "n1"))
        #expect(state.queued.isEmpty)
        #expect(state.load(on: "n1") == 0)
        #expect(state.counts()[from] == 0)
        #expect(state.counts()[.cancelled] == 1)
        // The worker that held it cannot complete it any more.
        let late = state.apply(.complete(task: "t-1", node: "n1", epoch: state.task("t-1")?.epoch ?? 0, result: "r", at: 51))
        #expect(late.count == 1 && late.allRejected)
        #expect(state.task("t-1")?.state == .cancelled)
        #expect(state.acceptedCompletions == 0)
        #expect(state.schedule(capacity: ["n1": 4], at: 52).isEmpty)
    }

    @Test(arguments: [TaskState.succeeded, .failed, .cancelled, .timedOut])
    func cancelOfAFinalTaskIsRejected(_ final: TaskState) {
        var state = Self.queue(withTaskIn: final)
        #expect(state.task("t-1")?.state == final)
        let before = state
        #expect(state.apply(.cancel(task: "t-1", at: 50))
            == [.rejected(.invalidState(task: "t-1", state: final, command: "cancel"))])
        #expect(state == before)
    }

    @Test func cancelOfAnUnknownTaskIsRejected() {
        var state = TaskQueueState()
        #expect(state.apply(.cancel(task: "t-1", at: 1)) == [.rejected(.unknownTask("t-1"))])
        #expect(state == TaskQueueState())
    }
}
