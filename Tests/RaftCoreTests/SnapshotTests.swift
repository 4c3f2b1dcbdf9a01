import RaftCore
import Testing

/// Log compaction and InstallSnapshot: a peer that needs entries the leader has compacted
/// away receives the snapshot in chunks, then normal replication resumes.
@Suite("Snapshots")
struct SnapshotTests {
    static let E = TestCluster.electionTicks
    static let chunk = 8

    static func snapshotMessages(_ c: TestCluster, to id: NodeID, since mark: Int = 0) -> [(offset: Int, total: Int, size: Int)] {
        c.sent(since: mark).compactMap { m in
            guard m.to == id, case let .snapshot(_, offset, total, bytes) = m.body else { return nil }
            return (offset, total, bytes.count)
        }
    }

    /// n3 misses 20 entries that the leader then compacts away.
    static func laggingFollower() throws -> TestCluster {
        let c = TestCluster(configure: { $0.snapshotChunkSize = chunk })
        c.elect("n1")
        c.isolate("n3")
        c.proposeAndCommit("n1", count: 20)
        c.compact("n1")
        #expect(c["n1"].snapshotIndex == c["n1"].commitIndex)
        #expect(c["n1"].entry(at: c["n3"].lastIndex + 1) == nil, "what n3 needs is compacted away")
        return c
    }

    @Test("a lagging follower catches up through a chunked snapshot, then by appends again")
    func laggingFollowerCatchesUpInChunks() throws {
        let c = try Self.laggingFollower()
        let snapIndex = c["n1"].snapshotIndex
        let size = c.machines["n1"]!.snapshotData.count
        let mark = c.sentCount
        c.heal()
        c.tick(until: { $0["n3"].snapshotIndex == snapIndex }, within: Self.E)
        c.stabilize()

        let chunks = Self.snapshotMessages(c, to: "n3", since: mark)
        #expect(chunks.count == (size + Self.chunk - 1) / Self.chunk, "\(size) bytes in chunks of \(Self.chunk)")
        #expect(chunks.map(\.offset) == Array(stride(from: 0, to: size, by: Self.chunk)))
        #expect(chunks.allSatisfy { $0.total == size && $0.size <= Self.chunk })
        // The follower's Ready carried the snapshot; it is on its disk and in its state machine.
        #expect(c.installedSnapshots["n3"]?.map(\.index) == [snapIndex])
        #expect(c.storage["n3"]!.snapshot?.metadata.index == snapIndex)
        #expect(c.storage["n3"]!.snapshot?.data == c.machines["n1"]!.snapshotData)
        #expect(c.events(of: "n3").contains(.snapshotInstalled(index: snapIndex, term: c["n1"].term)))
        #expect(c.values("n3") == c.values("n1"))
        #expect(c["n3"].membership == c["n1"].membership)

        // Replication goes back to appends.
        let mark2 = c.sentCount
        c.proposeAndCommit("n1", count: 3, prefix: "after")
        #expect(Self.snapshotMessages(c, to: "n3", since: mark2).isEmpty)
        #expect(c.sent(since: mark2).contains { $0.to == "n3" && $0.entries.contains { $0.text == "after1" } })
        #expect(c["n1"].status.peers.first { $0.id == "n3" }?.state == .replicate)
        #expect(c.values("n3").suffix(3) == ["after1", "after2", "after3"])
        #expect(c["n3"].commitIndex == c["n1"].commitIndex)
        c.checkLogMatching()
    }

    @Test("a lost chunk is sent again and the transfer resumes where it stopped")
    func droppedChunkResumes() throws {
        let c = try Self.laggingFollower()
        let snapIndex = c["n1"].snapshotIndex
        let size = c.machines["n1"]!.snapshotData.count
        let lostOffset = 2 * Self.chunk
        var lost = false
        c.drop { m in
            guard !lost, case .snapshot(_, lostOffset, _, _) = m.body else { return false }
            lost = true
            return true
        }
        let mark = c.sentCount
        c.heal()
        c.tick(until: { $0["n3"].snapshotIndex == snapIndex }, within: 2 * Self.E)

        let offsets = Self.snapshotMessages(c, to: "n3", since: mark).map(\.offset)
        let expected = Array(stride(from: 0, to: size, by: Self.chunk))
        #expect(lost)
        #expect(offsets.filter { $0 == lostOffset }.count == 2, "the lost chunk was sent again")
        #expect(offsets.filter { $0 == 0 }.count == 1, "the transfer did not start over")
        #expect(offsets.filter { $0 != lostOffset } == expected.filter { $0 != lostOffset })
        #expect(c.values("n3") == c.values("n1"))
    }

    @Test("a new node added after compaction joins through the snapshot")
    func newLearnerJoinsThroughSnapshot() throws {
        let c = try Self.laggingFollower()
        c.heal()
        c.tickAll(Self.E)
        c.addNode("n4")
        let add = try c.proposeConfChange("n1", .addLearner("n4", address: ""))
        c.stabilize()
        let snapIndex = c["n1"].snapshotIndex
        #expect(c.installedSnapshots["n4"]?.map(\.index) == [snapIndex])
        #expect(c["n4"].lastIndex == c["n1"].lastIndex)
        #expect(c["n4"].commitIndex >= add.index)
        #expect(c["n4"].membership.learners == ["n4"], "it learned of itself from the entry after the snapshot")
        #expect(c.values("n4") == c.values("n1"))
    }

    @Test("a node restarted from snapshot plus entries recovers its membership, commit and state")
    func restartFromSnapshotAndEntries() throws {
        let c = try Self.laggingFollower()
        c.heal()
        c.tickAll(Self.E)
        // A membership change and more data after the snapshot...
        c.addNode("n4")
        try c.proposeConfChange("n1", .addLearner("n4", address: ""))
        c.stabilize()
        c.compact("n1")
        try c.proposeConfChange("n1", .promote("n4"))
        c.stabilize()
        c.proposeAndCommit("n1", count: 2, prefix: "tail")
        c.tickAll(Self.E)

        for id in ["n1", "n3", "n4"] {
            let before = (c[id].membership, c[id].commitIndex, c[id].snapshotIndex, c[id].lastIndex, c.machines[id]!)
            #expect(c.storage[id]!.snapshot != nil, "\(id) has a snapshot on disk")
            #expect(!c.storage[id]!.entries.isEmpty, "\(id) has entries after it")
            c.crash(id)
            c.restart(id)
            #expect(c[id].membership == before.0, "\(id)")
            #expect(c[id].membership.voters == ["n1", "n2", "n3", "n4"])
            #expect(c[id].commitIndex == before.1, "\(id)")
            #expect(c[id].snapshotIndex == before.2, "\(id)")
            #expect(c[id].lastIndex == before.3, "\(id)")
            #expect(c.machines[id]! == before.4, "\(id) rebuilt the same state")
            c.tick(until: { $0.leader != nil }, within: 10 * Self.E)
            c.tickAll(Self.E)
        }
        let leader = try #require(c.leader)
        c.proposeAndCommit(leader, count: 1, prefix: "end")
        for id in c.ids { #expect(c.values(id) == c.values(leader)) }
    }

    /// The appends a node sent to `to` that acknowledge `index` or more.
    static func acknowledgements(_ c: TestCluster, from id: NodeID, to leader: NodeID, atLeast index: UInt64, since mark: Int = 0) -> [Message] {
        c.sent(since: mark).filter { m in
            guard m.from == id, m.to == leader, case let .appendResponse(true, acked, _, _) = m.body else { return false }
            return acked >= index
        }
    }

    @Test("a follower acknowledges a snapshot only once its host has stored it, and leaves the leader's resends unanswered meanwhile")
    func acknowledgedOnlyOnceInstalled() throws {
        let c = try Self.laggingFollower()
        c.holdInstalls = true
        let snapIndex = c["n1"].snapshotIndex
        let mark = c.sentCount
        c.heal()
        c.tick(until: { $0.receivedSnapshots["n3"]?.count == 1 }, within: 2 * Self.E)
        // Whole, with the host, for several heartbeats: nothing installed, nothing acknowledged.
        c.tickAll(3 * TestCluster.heartbeatTicks)
        #expect(c["n3"].snapshotIndex == 0)
        #expect(c["n3"].awaitedSnapshot?.index == snapIndex)
        #expect(c.storage["n3"]!.snapshot == nil)
        #expect(Self.acknowledgements(c, from: "n3", to: "n1", atLeast: snapIndex, since: mark).isEmpty)
        let resends = Self.snapshotMessages(c, to: "n3", since: mark).filter { $0.offset + $0.size == $0.total }
        #expect(resends.count > 1, "the leader sent the last chunk again")
        #expect(!c.sent(since: mark).contains { m in
            guard m.from == "n3", case let .snapshotResponse(_, received) = m.body else { return false }
            return received == resends[0].total
        }, "no answer says the whole snapshot arrived")
        #expect(c["n1"].status.peers.first { $0.id == "n3" }?.state == .snapshot(index: snapIndex))

        let installed = c.sentCount
        #expect(c.install("n3"))
        #expect(c["n3"].snapshotIndex == snapIndex)
        #expect(c.storage["n3"]!.snapshot?.metadata.index == snapIndex)
        #expect(Self.acknowledgements(c, from: "n3", to: "n1", atLeast: snapIndex, since: installed).count == 1)
        c.stabilize()
        c.tickAll(Self.E)
        #expect(c["n1"].status.peers.first { $0.id == "n3" }?.state == .replicate)
        #expect(c.values("n3") == c.values("n1"))
        c.checkLogMatching()
    }

    @Test("a snapshot the log moved past while the host stored it is dropped, and the follower stays caught up")
    func staleInstallIsDropped() throws {
        // n3 is behind n1's compaction; n2 keeps its whole log.
        let c = try Self.laggingFollower()
        c.holdInstalls = true
        let snapIndex = c["n1"].snapshotIndex
        c.heal()
        c.tick(until: { $0.receivedSnapshots["n3"]?.count == 1 }, within: 2 * Self.E)
        // The leader goes; n2, which never compacted, leads and catches n3 up by appends.
        c.isolate("n1")
        c.tick(until: { $0["n2"].role == .leader }, within: 10 * Self.E)
        c.proposeAndCommit("n2", count: 2, prefix: "n2-")
        #expect(c["n3"].commitIndex > snapIndex)
        let mark = c.sentCount
        #expect(!c.install("n3"), "the snapshot is older than what n3 now holds")
        #expect(c["n3"].snapshotIndex == 0)
        #expect(c.storage["n3"]!.snapshot == nil)
        #expect(c.sent(since: mark).isEmpty, "nothing is acknowledged for it")
        #expect(c.values("n3") == c.values("n2"))
        c.heal()
        c.tickAll(Self.E)
        c.proposeAndCommit("n2", count: 1, prefix: "end")
        #expect(c.values("n3") == c.values("n2"))
        c.checkLogMatching()
    }

    @Test("a snapshot gathered from hundreds of one-byte chunks, with a lost chunk resent, is byte for byte the leader's")
    func manySmallChunks() throws {
        let c = TestCluster(configure: { $0.snapshotChunkSize = 1 })
        c.elect("n1")
        c.isolate("n3")
        c.proposeAndCommit("n1", count: 100)
        c.compact("n1")
        let size = c.machines["n1"]!.snapshotData.count
        #expect(size > 300)
        var lost = false
        c.drop { m in
            guard !lost, case .snapshot(_, 100, _, _) = m.body else { return false }
            lost = true
            return true
        }
        c.holdInstalls = true
        c.heal()
        c.tick(until: { $0.receivedSnapshots["n3"]?.count == 1 }, within: 20 * Self.E)
        let received = try #require(c.receivedSnapshots["n3"]?.first)
        #expect(lost)
        #expect(received.count == size)
        #expect(received.chunks.count == size)
        #expect(received.joined().data == c.machines["n1"]!.snapshotData)
        #expect(c.install("n3"))
        #expect(c.storage["n3"]!.snapshot?.data == c.machines["n1"]!.snapshotData)
        #expect(c.values("n3") == c.values("n1"))
    }
}
