import NodeCore
import RaftCore
import TaskQueue
import Testing

@Suite("Node core: the leader's retention")
struct RetentionTests {
    /// Every node submits, runs and finishes tasks; the leader then proposes `expire` on its own
    /// clock, every replica removes the same tasks, and a retry of a removed task's key inside
    /// the key window still answers with the original task.
    @Test func theLeaderProposesRemovalAndEveryReplicaRemovesTheSameTasks() throws {
        var c = CoreCluster(3, slots: 0) { config in
            config.retention = Retention(finishedMs: 50, keepFinished: 2, keyWindowMs: 60_000, batch: 3)
        }
        let l = c.elect()
        let spec = TaskSpec(kind: "echo", maxAttempts: 1)
        for i in 0..<8 { try c.cores[l]!.propose(.submit(key: "k\(i)", spec: spec, at: c.nowMs), token: nil) }
        #expect(c.run(upTo: 50) { $0.cores[l]!.queue.taskCount == 8 })
        // Nothing has finished: nothing is removed.
        _ = c.run(upTo: 20) { _ in false }
        #expect(c.cores[l]!.queue.taskCount == 8)
        for i in 1...8 { try c.cores[l]!.propose(.cancel(task: "t-\(i)", at: c.nowMs), token: nil) }
        #expect(c.run(upTo: 100) { c in c.ids.allSatisfy { c.cores[$0]!.queue.taskCount == 0 } })
        let leader = c.cores[l]!.queue
        #expect(leader.removedTasks == 8 && leader.rememberedKeyCount == 8)
        for id in c.ids { #expect(c.cores[id]!.queue == leader, "\(id) holds what the leader holds") }
        try c.cores[l]!.propose(.submit(key: "k3", spec: spec, at: c.nowMs), token: 9)
        #expect(c.run(upTo: 50) { c in c.all(l).contains { $0.settled.contains { $0.token == 9 } } })
        let settled = c.all(l).flatMap(\.settled).first { $0.token == 9 }
        guard case .success(let effects)? = settled?.result else { Issue.record("the retry did not settle"); return }
        #expect(effects == [.duplicate("t-4", key: "k3")])
        #expect(c.cores[l]!.queue.taskCount == 0)
    }
}
