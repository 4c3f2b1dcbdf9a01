import Testing
import TaskQueue

@Suite("Submit and idempotency keys")
struct SubmitTests {
    @Test func idsAreSequentialInSubmissionOrder() {
        var state = TaskQueueState()
        let ids = Fixtures.submit(&state, keys: ["a", "b", "c"])
        #expect(ids == ["t-1", "t-2", "t-3"])
        #expect(state.tasks.map(\.id) == ids)
        #expect(state.tasks.map(\.key) == ["a", "b", "c"])
        #expect(state.queued == ids)
        let first = state.task("t-1")
        #expect(first?.state == .queued)
        #expect(first?.epoch == 0)
        #expect(first?.attempts == 0)
        #expect(first?.node == nil)
        #expect(first?.submittedAt == 1)
    }

    @Test func retriedSubmitReturnsTheSameTask() {
        var state = TaskQueueState()
        let spec = Fixtures.spec()
        #expect(state.apply(.submit(key: "job-42", spec: spec, at: 5)) == [.created("t-1", key: "job-42")])
        // A client retrying after a failover, possibly with a different timestamp or even spec.
        #expect(state.apply(.submit(key: "job-42", spec: spec, at: 9)) == [.duplicate("t-1", key: "job-42")])
        #expect(state.apply(.submit(key: "job-42", spec: TaskSpec(kind: "sleep"), at: 10))
            == [.duplicate("t-1", key: "job-42")])
        #expect(state.tasks.count == 1)
        #expect(state.queued == ["t-1"])
        #expect(state.task(forKey: "job-42")?.spec == spec)
        #expect(state.task(forKey: "job-42")?.submittedAt == 5)
        #expect(state.counts()[.queued] == 1)
    }

    @Test func duplicateOfAFinishedTaskStillNamesIt() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["k"])
        _ = state.apply(.cancel(task: "t-1", at: 2))
        #expect(state.apply(.submit(key: "k", spec: Fixtures.spec(), at: 3)) == [.duplicate("t-1", key: "k")])
        #expect(state.tasks.count == 1)
        #expect(state.task("t-1")?.state == .cancelled)
    }

    @Test(arguments: [
        ("", TaskSpec(kind: "echo")),
        ("k", TaskSpec(kind: "")),
        ("k", TaskSpec(kind: "echo", maxAttempts: 0)),
        ("k", TaskSpec(kind: "echo", maxAttempts: -5)),
        ("k", TaskSpec(kind: "echo", timeoutMs: 0)),
        ("k", TaskSpec(kind: "echo", target: "")),
    ])
    func invalidSpecsAreRejectedWithoutATask(key: String, spec: TaskSpec) {
        var state = TaskQueueState()
        let effects = state.apply(.submit(key: key, spec: spec, at: 1))
        guard case .rejected(.invalidSpec)? = effects.first, effects.count == 1 else {
            Issue.record("expected an invalid-spec rejection, got \(effects)")
            return
        }
        #expect(state == TaskQueueState())
        // A rejected submit burns no id: the next valid one is still t-1.
        #expect(state.apply(.submit(key: "ok", spec: Fixtures.spec(), at: 2)) == [.created("t-1", key: "ok")])
    }

    @Test func lookupsOfUnknownOrMisspelledIdsFindNothing() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["a", "b"])
        for id in ["t-0", "t-01", "t-3", "t-", "t", "", "T-1", "t-1 ", "t--1", "t-+1", "x-1", "t-99999999999999999999999"] {
            #expect(state.task(id) == nil, "\(id)")
        }
        #expect(state.task("t-2")?.key == "b")
        #expect(state.task(forKey: "c") == nil)
    }

    @Test func specDefaultsAndStateNames() {
        let spec = TaskSpec(kind: "echo")
        #expect(spec.args.isEmpty)
        #expect(spec.target == nil)
        #expect(spec.maxAttempts == 3)
        #expect(spec.timeoutMs == nil)
        #expect(TaskState.timedOut.rawValue == "timed-out")
        #expect(TaskState.allCases.filter(\.isFinal) == [.succeeded, .failed, .cancelled, .timedOut])
    }
}
