import NodeCore
import RaftCore
import TaskQueue
import Testing

/// The leader's admission limit on unfinished tasks: what retention does not bound.
@Suite("Node core: admission of new submits")
struct AdmissionTests {
    @Test func newKeysAreRefusedAtTheLimitAndAdmittedOnceTasksFinish() throws {
        var c = CoreCluster(3, slots: 0) { $0.maxUnfinishedTasks = 3 }
        let l = c.elect()
        let spec = TaskSpec(kind: "echo", maxAttempts: 1)
        // Proposed but not yet applied count: the fourth is refused before any of them applies.
        for i in 0..<3 { try c.cores[l]!.propose(.submit(key: "k\(i)", spec: spec, at: c.nowMs), token: UInt64(i + 1)) }
        #expect(throws: NodeRefusal.full(limit: 3)) { try c.cores[l]!.propose(.submit(key: "k3", spec: spec, at: c.nowMs), token: 4) }
        #expect(c.run(upTo: 50) { $0.cores[l]!.queue.taskCount == 3 })
        #expect(throws: NodeRefusal.full(limit: 3)) { try c.cores[l]!.propose(.submit(key: "k3", spec: spec, at: c.nowMs), token: 4) }
        // A retry of a known key is never refused: it answers with its task.
        try c.cores[l]!.propose(.submit(key: "k1", spec: spec, at: c.nowMs), token: 5)
        #expect(c.run(upTo: 50) { c in c.all(l).contains { $0.settled.contains { $0.token == 5 } } })
        // Other commands are not submits: a cancel finishes a task and makes room.
        try c.cores[l]!.propose(.cancel(task: "t-1", at: c.nowMs), token: nil)
        #expect(c.run(upTo: 50) { $0.cores[l]!.queue.finishedCount == 1 })
        try c.cores[l]!.propose(.submit(key: "k3", spec: spec, at: c.nowMs), token: 6)
        #expect(c.run(upTo: 50) { $0.cores[l]!.queue.taskCount == 4 })
    }

    @Test func zeroMeansNoLimit() throws {
        var c = CoreCluster(1, slots: 0) { $0.maxUnfinishedTasks = 0 }
        let l = c.elect()
        let spec = TaskSpec(kind: "echo", maxAttempts: 1)
        for i in 0..<200 { try c.cores[l]!.propose(.submit(key: "k\(i)", spec: spec, at: c.nowMs), token: nil) }
        #expect(c.run(upTo: 50) { $0.cores[l]!.queue.taskCount == 200 })
    }
}
