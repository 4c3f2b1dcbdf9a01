import NodeCore
import RaftCore
import TaskQueue
import Testing

/// A disk that fills up stalls the node instead of ending it: nothing of the refused batch
/// leaves the node, writes are refused naming the problem, and the node resumes by itself.
@Suite("Node core: a full or broken disk")
struct StorageFailureTests {
    func submit(_ key: String) -> Command { .submit(key: key, spec: TaskSpec(kind: "echo", maxAttempts: 1), at: 1) }

    @Test func aFullDiskHoldsTheBatchRefusesWritesAndResumesWithNothingLost() throws {
        var c = CoreCluster(1) { $0.storageRetryTicks = 5 }
        let l = c.elect()
        c.stores[l]!.mode = .full
        try c.cores[l]!.propose(submit("k1"), token: 1)
        c.settle()
        #expect(c.cores[l]!.storageProblem?.contains("No space left") == true)
        #expect(c.all(l).flatMap(\.events).contains { if case .storageStalled = $0 { true } else { false } })
        #expect(throws: NodeRefusal.self) { try c.cores[l]!.propose(submit("k2"), token: 2) }
        // Retried, refused again, and nothing settles meanwhile.
        for _ in 0..<20 { c.round() }
        #expect(c.stores[l]!.refused >= 3)
        #expect(c.all(l).flatMap(\.settled).isEmpty)
        c.stores[l]!.mode = .healthy
        #expect(c.run(upTo: 20) { $0.cores[l]!.storageProblem == nil })
        #expect(c.run(upTo: 20) { c in c.all(l).flatMap(\.settled).contains { $0.token == 1 } })
        #expect(c.all(l).flatMap(\.events).contains { if case .storageRecovered = $0 { true } else { false } })
        #expect(c.cores[l]!.queue.task(forKey: "k1") != nil)
        let stored = c.stores[l]!.stored.entries.compactMap { try? Command.decode($0.data) }
        #expect(stored.contains(submit("k1")), "the held batch reached the disk")
        try c.cores[l]!.propose(submit("k2"), token: 2)
        #expect(c.run(upTo: 20) { c in c.all(l).flatMap(\.settled).contains { $0.token == 2 } })
    }

    /// While a leader's disk is full none of its messages leave: followers never see the
    /// entry it could not store, elect another leader, and the cluster goes on without it.
    @Test func aStalledLeaderSendsNothingAndTheOthersCarryOn() throws {
        var c = CoreCluster(3) { $0.storageRetryTicks = 5 }
        let l = c.elect()
        let followers = c.ids.filter { $0 != l }
        let before = followers.map { c.cores[$0]!.raft.lastIndex }
        c.stores[l]!.mode = .full
        try c.cores[l]!.propose(submit("k1"), token: 1)
        c.settle()
        #expect(followers.map { c.cores[$0]!.raft.lastIndex } == before)
        #expect(c.run(upTo: 200) { c in followers.contains { c.cores[$0]!.isLeader } })
        let next = followers.first { c.cores[$0]!.isLeader }!
        try c.cores[next]!.propose(submit("k2"), token: 2)
        #expect(c.run(upTo: 50) { c in followers.allSatisfy { c.cores[$0]!.queue.task(forKey: "k2") != nil } })
        // The old leader comes back and catches up on what it missed.
        c.stores[l]!.mode = .healthy
        #expect(c.run(upTo: 200) { $0.cores[l]!.queue.task(forKey: "k2") != nil && !$0.cores[l]!.isLeader })
    }

    /// A leader that sends its appends ahead of its own write, then finds its disk full: the
    /// followers hold the entry it could not store, elect another leader that commits it, and
    /// once space returns the old leader stores it too and answers its client with success.
    @Test func aLeaderWhoseDiskFillsAfterSendingAheadStillGetsItsEntryCommitted() throws {
        var c = CoreCluster(3) { $0.storageRetryTicks = 5 }
        c.sendAhead = true
        let l = c.elect()
        let followers = c.ids.filter { $0 != l }
        let index = c.cores[l]!.raft.lastIndex + 1
        c.stores[l]!.mode = .full
        try c.cores[l]!.propose(submit("k1"), token: 1)
        c.settle()
        #expect(followers.allSatisfy { c.cores[$0]!.raft.lastIndex == index }, "the appends left before the write failed")
        #expect(c.cores[l]!.raft.commitIndex < index, "a leader that holds a batch steps no acknowledgement")
        #expect(c.all(l).flatMap(\.settled).isEmpty)
        #expect(c.run(upTo: 200) { c in followers.contains { c.cores[$0]!.isLeader } })
        #expect(c.run(upTo: 50) { c in followers.allSatisfy { c.cores[$0]!.queue.task(forKey: "k1") != nil } })
        c.stores[l]!.mode = .healthy
        #expect(c.run(upTo: 200) { c in c.all(l).flatMap(\.settled).contains { $0.token == 1 } })
        let settled = try #require(c.all(l).flatMap(\.settled).first { $0.token == 1 })
        #expect((try? settled.result.get()) != nil, "the entry committed at the term it was proposed in")
        #expect(c.cores[l]!.queue.task(forKey: "k1") != nil)
    }

    @Test func aFailedFsyncEndsTheNodeAndAnswersItsWaitingWrites() throws {
        var c = CoreCluster(1)
        let l = c.elect()
        c.stores[l]!.mode = .broken
        try c.cores[l]!.propose(submit("k1"), token: 9)
        let out = c.cores[l]!.process()
        #expect(out.fatal?.contains("fsync") == true)
        #expect(out.settled.map(\.token) == [9])
        #expect(throws: NodeRefusal.self) { try c.cores[l]!.propose(submit("k2"), token: 10) }
    }
}
