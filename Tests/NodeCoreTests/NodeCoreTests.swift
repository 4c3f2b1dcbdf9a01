import NodeCore
import RaftCore
import TaskQueue
import Testing
@testable import NodeCore

@Suite("Node core: proposals, workers, the leader's duties")
struct NodeCoreTests {
    static let spec = TaskSpec(kind: "sleep", args: ["ms": "10"], maxAttempts: 3)

    func submit(_ key: String, at: UInt64 = 1) -> Command { .submit(key: key, spec: Self.spec, at: at) }

    func settled(_ c: CoreCluster, _ id: NodeID, _ token: UInt64) -> Result<[Effect], NodeRefusal>? {
        for out in c.all(id) {
            if let s = out.settled.first(where: { $0.token == token }) { return s.result }
        }
        return nil
    }

    @Test func aSubmitOnTheLeaderSettlesWithItsTaskOnceEveryNodeApplies() throws {
        var c = CoreCluster(3)
        let l = c.elect()
        try c.cores[l]!.propose(submit("k1"), token: 7)
        #expect(c.run(upTo: 50) { settled($0, l, 7) != nil })
        guard case .success(let effects)? = settled(c, l, 7), case .created(let task, "k1")? = effects.first else {
            Issue.record("the submit did not settle with a new task: \(String(describing: settled(c, l, 7)))")
            return
        }
        #expect(c.run(upTo: 50) { c in c.ids.allSatisfy { c.cores[$0]!.queue.task(task) != nil } })
    }

    @Test func aFollowerRefusesAWriteNamingTheLeader() {
        var c = CoreCluster(3)
        let l = c.elect()
        let f = c.ids.first { $0 != l }!
        #expect(throws: NodeRefusal.notLeader(leader: l)) { try c.cores[f]!.propose(submit("k1"), token: 1) }
    }

    /// The scheduler hands the task to a node with free slots; that node's worker reports the
    /// start and the completion, forwarded to the leader when it is a follower, and the task succeeds.
    @Test func scheduledTasksRunAndTheirReportsReachTheLeader() throws {
        var c = CoreCluster(3)
        let l = c.elect()
        try c.cores[l]!.propose(submit("k1"), token: 1)
        var worker: NodeID?
        var assigned: TaskRecord?
        #expect(c.run(upTo: 100) { c in
            for id in c.ids { if let t = c.all(id).flatMap(\.start).first { worker = id; assigned = t; return true } }
            return false
        })
        guard let worker, let t = assigned else { return }
        c.cores[worker]!.report(.start(task: t.id, node: worker, epoch: t.epoch, at: c.nowMs))
        c.cores[worker]!.report(.complete(task: t.id, node: worker, epoch: t.epoch, result: "done", at: c.nowMs))
        #expect(c.run(upTo: 50) { $0.cores[l]!.queue.task(t.id)?.state == .succeeded })
        #expect(c.cores[l]!.queue.task(t.id)?.result == "done")
        // Once applied, the report is not sent again.
        let before = c.all(worker).flatMap(\.forward).count
        _ = c.run(upTo: 100) { _ in false }
        #expect(c.all(worker).flatMap(\.forward).count == before)
        if worker != l { #expect(before >= 1, "a follower's report travels to the leader") }
    }

    /// A queued task is placed as soon as its submit applies, not on the next housekeeping
    /// round: with housekeeping far off, the assignment still goes out without a tick.
    @Test func aSubmitIsScheduledAsSoonAsItAppliesWithoutWaitingForHousekeeping() throws {
        var c = CoreCluster(3) { $0.housekeepingTicks = 1_000_000 }
        let l = c.elect()
        _ = c.run(upTo: 20) { _ in false }  // the leader's first entry commits
        let ticksBefore = c.rounds
        try c.cores[l]!.propose(submit("k1"), token: 1)
        c.settle()
        #expect(c.rounds == ticksBefore)
        let started = c.ids.flatMap { c.all($0).flatMap(\.start) }
        #expect(started.map(\.key) == ["k1"], "the assignment applied and a worker was handed the task within one settle")
        // A completion that frees the only slot lets the next queued task in, again without a tick.
        var one = CoreCluster(1, slots: 1) { $0.housekeepingTicks = 1_000_000 }
        let only = one.elect()
        _ = one.run(upTo: 20) { _ in false }
        try one.cores[only]!.propose(submit("a"), token: 1)
        try one.cores[only]!.propose(submit("b"), token: 2)
        one.settle()
        let first = try #require(one.all(only).flatMap(\.start).first)
        #expect(one.cores[only]!.queue.queuedCount == 1)
        one.cores[only]!.report(.complete(task: first.id, node: only, epoch: first.epoch, result: "ok", at: one.nowMs))
        one.settle()
        #expect(one.all(only).flatMap(\.start).map(\.key) == ["a", "b"])
    }

    /// A report lost on the way is sent again every `reportResendTicks` until its effect applies.
    @Test func aLostReportIsSentAgainUntilItApplies() throws {
        var c = CoreCluster(3) { $0.reportResendTicks = 5 }
        let l = c.elect()
        let f = c.ids.first { $0 != l }!
        try c.cores[l]!.propose(.submit(key: "k1", spec: TaskSpec(kind: "echo", target: f, maxAttempts: 1), at: 1), token: 1)
        var task: TaskRecord?
        #expect(c.run(upTo: 100) { c in task = c.all(f).flatMap(\.start).first; return task != nil })
        guard let t = task else { return }
        c.isolated = [f]
        c.cores[f]!.report(.complete(task: t.id, node: f, epoch: t.epoch, result: "ok", at: c.nowMs))
        for _ in 0..<3 { c.round() }
        #expect(c.cores[l]!.queue.task(t.id)?.state != .succeeded)
        c.isolated = []
        #expect(c.run(upTo: 50) { $0.cores[l]!.queue.task(t.id)?.state == .succeeded })
        #expect(c.all(f).flatMap(\.forward).count >= 2)
    }

    /// A node the leader has not heard from for `requeueAfterElectionTimeouts` loses its tasks to
    /// the queue with a higher epoch, and its late report of the old attempt is refused.
    @Test func theTasksOfASilentNodeAreRequeuedAndItsLateReportFenced() throws {
        var c = CoreCluster(3) { $0.requeueAfterElectionTimeouts = 3 }
        let l = c.elect()
        let f = c.ids.first { $0 != l }!
        try c.cores[l]!.propose(.submit(key: "k1", spec: TaskSpec(kind: "echo", target: f, maxAttempts: 3), at: 1), token: 1)
        var task: TaskRecord?
        #expect(c.run(upTo: 100) { c in task = c.all(f).flatMap(\.start).first; return task != nil })
        guard let t = task else { return }
        c.isolated = [f]
        #expect(c.run(upTo: 100) { c in let now = c.cores[l]!.queue.task(t.id)!; return now.state == .queued || now.epoch > t.epoch })
        c.isolated = []
        c.cores[f]!.report(.complete(task: t.id, node: f, epoch: t.epoch, result: "late", at: c.nowMs))
        _ = c.run(upTo: 60) { _ in false }
        let now = c.cores[l]!.queue.task(t.id)!
        #expect(now.result != "late", "a report of a fenced-out attempt was accepted")
        #expect(c.all(f).flatMap(\.stop).contains(t.id), "the silent node's worker is told to stop once it hears")
    }

    /// After a restart the replayed log starts no task; the tasks still assigned to the node
    /// start once, after the replay.
    @Test func aRestartedNodeResumesItsOwnTasksOnceAfterReplay() throws {
        var c = CoreCluster(1, slots: 4)
        let l = c.elect()
        for k in 1...3 { try c.cores[l]!.propose(submit("k\(k)"), token: UInt64(k)) }
        #expect(c.run(upTo: 100) { $0.cores[l]!.queue.load(on: l) == 3 })
        let store = c.stores[l]!
        var restarted = try NodeCore(config: c.cores[l]!.config, store: store, restoring: store.stored)
        #expect(restarted.startupIndex > 0)
        var started: [TaskID] = []
        for _ in 0..<30 {
            restarted.tick(nowMs: 2_000_000)
            started += restarted.process().start.map(\.id)
        }
        #expect(started.sorted() == c.cores[l]!.queue.tasks.map(\.id).sorted())
    }

    @Test func sameInputsSameOutputs() throws {
        func run() throws -> [String] {
            var c = CoreCluster(3)
            let l = c.elect()
            for k in 1...5 { try c.cores[l]!.propose(submit("k\(k)"), token: UInt64(k)) }
            _ = c.run(upTo: 100) { _ in false }
            return c.ids.map { "\($0) \(c.cores[$0]!.raft.term) \(c.cores[$0]!.raft.commitHash) \(c.cores[$0]!.queue.tasks.map { "\($0.id)@\($0.node ?? "-")" })" }
        }
        #expect(try run() == run())
    }

    @Test func aCommitThatWouldGoBackIsReported() throws {
        var c = CoreCluster(1)
        let l = c.elect()
        c.cores[l]!.highestCommit += 100
        try c.cores[l]!.propose(submit("k1"), token: 1)
        let out = c.cores[l]!.process()
        #expect(out.events.contains { if case .invariant(let w) = $0 { w.contains("commit") } else { false } })
    }
}

/// A leader hands its replication messages to `sendAhead` before storing their batch, so its
/// followers write while it does; everything else still waits for the batch's sync.
@Suite("Node core: sending ahead of the write")
struct SendAheadTests {
    func submit(_ key: String) -> Command { .submit(key: key, spec: TaskSpec(kind: "echo", maxAttempts: 1), at: 1) }

    @Test func aLeadersAppendsLeaveBeforeItsBatchIsStoredAndAFollowersAnswerAfter() throws {
        var c = CoreCluster(3)
        let l = c.elect()
        let store = c.stores[l]!
        let before = store.batches
        try c.cores[l]!.propose(submit("k1"), token: 1)
        var storedWhenSent: [Int] = []
        var ahead: [Message] = []
        let out = c.cores[l]!.process(sendAhead: { ms in
            storedWhenSent.append(store.batches)
            ahead += ms
        })
        #expect(storedWhenSent == [before], "handed over before the batch was stored")
        #expect(store.batches == before + 1)
        let carrying = ahead.filter { if case .append(_, _, let entries, _) = $0.body { !entries.isEmpty } else { false } }
        #expect(Set(carrying.map(\.to)) == Set(c.ids.filter { $0 != l }))
        #expect(!out.messages.contains { $0.isFromLeader }, "nothing is sent twice")
        #expect(c.cores[l]!.raft.commitIndex < c.cores[l]!.raft.lastIndex, "not committed before a follower answers")

        // A follower's answer waits for its own write: nothing goes ahead.
        let f = try #require(carrying.first?.to)
        c.cores[f]!.receive(try #require(carrying.first))
        var followerAhead: [Message] = []
        let fout = c.cores[f]!.process(sendAhead: { followerAhead += $0 })
        #expect(followerAhead.isEmpty)
        #expect(fout.messages.contains { if case .appendResponse(true, _, _, _) = $0.body { true } else { false } })
        for m in fout.messages where m.to == l { c.cores[l]!.receive(m) }
        let done = c.cores[l]!.process()
        #expect(done.settled.map(\.token) == [1])
    }

    @Test func aClusterThatSendsAheadCommitsAndAgrees() throws {
        var c = CoreCluster(3)
        c.sendAhead = true
        let l = c.elect()
        for k in 0..<20 { try c.cores[l]!.propose(submit("k\(k)"), token: UInt64(k + 1)) }
        #expect(c.run(upTo: 50) { c in c.all(l).flatMap(\.settled).count == 20 })
        #expect(c.run(upTo: 50) { c in c.ids.allSatisfy { c.cores[$0]!.queue.tasks.count == 20 } })
        let hashes = Set(c.ids.map { c.cores[$0]!.raft.commitHash })
        #expect(hashes.count == 1)
    }
}

@Suite("Node core: snapshot intervals")
struct SnapshotIntervalTests {
    /// The index of each compaction on `id`, with the number of tasks its table held then.
    static func compactions(share: Int, tasks: Int) throws -> [(index: UInt64, tasks: Int)] {
        var c = CoreCluster(3, slots: 0) { config in
            config.snapshotEvery = 5
            config.snapshotTableShare = share
        }
        let l = c.elect()
        var seen: [(index: UInt64, tasks: Int)] = []
        for i in 0..<tasks {
            try c.cores[l]!.propose(.submit(key: "k\(i)", spec: TaskSpec(kind: "echo"), at: 1), token: UInt64(i))
            #expect(c.run(upTo: 50) { $0.cores[l]!.queue.taskCount == i + 1 })
            let indexes = c.all(l).flatMap(\.events).compactMap { e -> UInt64? in
                if case let .compacted(index) = e { return index } else { return nil }
            }
            for index in indexes.dropFirst(seen.count) { seen.append((index, c.cores[l]!.queue.taskCount)) }
        }
        return seen
    }

    /// Without the share, a snapshot every 5 entries; with a share of 4, the gaps widen to a
    /// quarter of the table, so a growing table is not walked ever more often.
    @Test func aGrowingTableWidensTheGapBetweenSnapshots() throws {
        let fixed = try Self.compactions(share: 0, tasks: 160)
        let scaled = try Self.compactions(share: 4, tasks: 160)
        #expect(fixed.count >= 160 / 5 - 2)
        #expect(scaled.count < fixed.count / 2)
        for (a, b) in zip(scaled, scaled.dropFirst()) {
            // The table may have grown by the one task of the step since the compaction.
            #expect(b.index - a.index >= UInt64(max(5, (b.tasks - 1) / 4)), "\(a) -> \(b)")
        }
        #expect((scaled.last?.index ?? 0) - (scaled.dropLast().last?.index ?? 0) >= 30)
    }
}
