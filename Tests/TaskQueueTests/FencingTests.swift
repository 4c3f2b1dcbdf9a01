import Testing
import TaskQueue

@Suite("Fencing epochs and requeue")
struct FencingTests {
    @Test func lateCompletionFromARequeuedNodeIsStale() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["k"])
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 2))
        _ = state.apply(.start(task: "t-1", node: "n1", epoch: 1, at: 3))

        // n1 is unreachable too long: its task goes back to the queue.
        #expect(state.apply(.requeue(node: "n1", at: 10)) == [.requeued("t-1", from: "n1")])
        #expect(state.task("t-1")?.state == .queued)
        #expect(state.task("t-1")?.node == nil)
        #expect(state.task("t-1")?.epoch == 1)
        #expect(state.load(on: "n1") == 0)

        // n1 was only partitioned and reports before the task is reassigned: it no longer holds it.
        #expect(state.apply(.complete(task: "t-1", node: "n1", epoch: 1, result: "from n1", at: 11))
            == [.rejected(.wrongNode(task: "t-1", expected: nil, got: "n1"))])

        #expect(state.schedule(capacity: ["n2": 1], at: 12) == [.assign(task: "t-1", node: "n2", epoch: 2, at: 12)])
        #expect(state.apply(.assign(task: "t-1", node: "n2", epoch: 2, at: 12)) == [.assigned("t-1", node: "n2", epoch: 2)])

        // And again after the reassign: the old epoch is fenced out.
        #expect(state.apply(.complete(task: "t-1", node: "n1", epoch: 1, result: "from n1", at: 13))
            == [.rejected(.staleEpoch(task: "t-1", expected: 2, got: 1))])
        #expect(state.apply(.start(task: "t-1", node: "n1", epoch: 1, at: 13))
            == [.rejected(.staleEpoch(task: "t-1", expected: 2, got: 1))])
        #expect(state.staleRejections == 3)
        #expect(state.acceptedCompletions == 0)
        #expect(state.task("t-1")?.state == .assigned)

        #expect(state.apply(.complete(task: "t-1", node: "n2", epoch: 2, result: "from n2", at: 14))
            == [.succeeded("t-1", node: "n2", epoch: 2)])
        // Whatever arrives afterwards, the single success stays single.
        let after: [Command] = [
            .complete(task: "t-1", node: "n1", epoch: 1, result: "from n1", at: 15),
            .complete(task: "t-1", node: "n2", epoch: 2, result: "again", at: 15),
            .complete(task: "t-1", node: "n1", epoch: 2, result: "forged", at: 15),
            .fail(task: "t-1", node: "n2", epoch: 2, message: "late", at: 15),
            .timeout(task: "t-1", epoch: 2, at: 15),
            .requeue(node: "n2", at: 15),
        ]
        for command in after {
            #expect(state.apply(command).allRejected, "\(command)")
        }
        #expect(state.acceptedCompletions == 1)
        #expect(state.staleRejections == 5)
        #expect(state.task("t-1")?.result == "from n2")
        #expect(state.task("t-1")?.state == .succeeded)
    }

    @Test func requeueMovesOnlyThatNodesTasks() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["a", "b", "c", "d", "e", "f"])
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 2))
        _ = state.apply(.assign(task: "t-2", node: "n2", epoch: 1, at: 2))
        _ = state.apply(.assign(task: "t-3", node: "n1", epoch: 1, at: 2))
        _ = state.apply(.start(task: "t-3", node: "n1", epoch: 1, at: 3))
        _ = state.apply(.assign(task: "t-4", node: "n1", epoch: 1, at: 2))
        _ = state.apply(.complete(task: "t-4", node: "n1", epoch: 1, result: "done", at: 3))
        _ = state.apply(.assign(task: "t-5", node: "n3", epoch: 1, at: 2))
        #expect(state.queued == ["t-6"])
        #expect(state.load(on: "n1") == 2)

        let effects = state.apply(.requeue(node: "n1", at: 20))
        #expect(effects == [.requeued("t-1", from: "n1"), .requeued("t-3", from: "n1")])
        #expect(state.queued == ["t-6", "t-1", "t-3"])
        #expect(state.load(on: "n1") == 0)
        #expect(state.load(on: "n2") == 1)
        #expect(state.load(on: "n3") == 1)
        #expect(state.task("t-2")?.state == .assigned)
        #expect(state.task("t-2")?.node == "n2")
        #expect(state.task("t-4")?.state == .succeeded)
        #expect(state.task("t-4")?.node == "n1")
        #expect(state.task("t-5")?.state == .assigned)
        for id in ["t-1", "t-3"] {
            #expect(state.task(id)?.state == .queued)
            #expect(state.task(id)?.updatedAt == 20)
            // Requeue is not an attempt: only the next assign counts.
            #expect(state.task(id)?.attempts == 1)
        }
        #expect(state.counts()[.queued] == 3)
        #expect(state.counts()[.assigned] == 2)
        #expect(state.counts()[.running] == 0)

        // Nothing left on n1, or never anything on n9: a no-op, not an error.
        #expect(state.apply(.requeue(node: "n1", at: 21)).isEmpty)
        #expect(state.apply(.requeue(node: "n9", at: 21)).isEmpty)
    }

    @Test func requeueIgnoresAttemptLimitButTheNextFailureIsFinal() {
        var state = TaskQueueState()
        Fixtures.submit(&state, keys: ["k"], spec: Fixtures.spec(maxAttempts: 1))
        _ = state.apply(.assign(task: "t-1", node: "n1", epoch: 1, at: 2))
        #expect(state.apply(.requeue(node: "n1", at: 3)) == [.requeued("t-1", from: "n1")])
        _ = state.apply(.assign(task: "t-1", node: "n2", epoch: 2, at: 4))
        #expect(state.task("t-1")?.attempts == 2)
        #expect(state.apply(.fail(task: "t-1", node: "n2", epoch: 2, message: "x", at: 5)) == [.failed("t-1")])
    }
}
