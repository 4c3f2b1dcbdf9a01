import NodeCore
import RaftCore
import TaskQueue
import Testing

/// A follower behind the leader's compaction receives its snapshot whole, hands it to its host to
/// decode off the Raft loop, and installs it, and acknowledges it, only once the host hands it back.
@Suite("Node core: installing a snapshot from the leader")
struct SnapshotInstallTests {
    /// n3 misses 30 submits that n1 then compacts away. n1's election timer is the shortest, so
    /// it leads; only it compacts, so n2 keeps its whole log.
    static func laggingFollower() throws -> CoreCluster {
        var c = CoreCluster(3, slots: 0) { config in
            if config.id != "n1" { config.raft.electionTicks = 40 }
            config.snapshotEvery = config.id == "n1" ? 10 : 1_000_000
            config.snapshotTableShare = 0
            config.raft.snapshotChunkSize = 64
        }
        #expect(c.elect() == "n1")
        c.isolated = ["n3"]
        for i in 0..<30 {
            try c.cores["n1"]!.propose(.submit(key: "k\(i)", spec: TaskSpec(kind: "echo"), at: 1), token: nil)
        }
        #expect(c.run(upTo: 100) { $0.cores["n1"]!.raft.snapshotIndex > $0.cores["n3"]!.raft.lastIndex + 1 })
        return c
    }

    func peerState(_ c: CoreCluster, _ id: NodeID) -> ProgressState? {
        c.cores["n1"]!.raft.status.peers.first { $0.id == id }?.state
    }

    @Test func theFollowerAcknowledgesTheSnapshotOnlyOnceItsHostHandsItBackDecoded() throws {
        var c = try Self.laggingFollower()
        c.holdInstalls = true
        c.isolated = []
        #expect(c.run(upTo: 100) { $0.installs["n3"]?.count == 1 })
        let job = try #require(c.installs["n3"]?.first)
        let snapIndex = job.metadata.index
        #expect(job.received.chunks.count > 10, "\(job.received.count) bytes in chunks of 64")
        // Held by the host through several heartbeats: nothing stored, nothing acknowledged.
        _ = c.run(upTo: 20) { _ in false }
        #expect(c.cores["n3"]!.raft.snapshotIndex == 0)
        #expect(c.cores["n3"]!.queue.taskCount == 0)
        #expect(c.stores["n3"]!.stored.snapshot == nil)
        #expect(peerState(c, "n3") == .snapshot(index: snapIndex))
        #expect(c.installs["n3"]?.count == 1, "the leader's resends of the last chunk hand out nothing new")

        let taken = c.completeInstall("n3")
        #expect(taken)
        #expect(c.stores["n3"]!.stored.snapshot?.metadata.index == snapIndex)
        #expect(c.cores["n3"]!.raft.snapshotIndex == snapIndex)
        #expect(c.all("n3").contains { $0.restoredSnapshot })
        #expect(c.run(upTo: 50) { peerState($0, "n3") == .replicate })
        #expect(c.run(upTo: 50) { c in c.cores["n3"]!.applied == c.cores["n1"]!.applied })
        #expect(c.cores["n3"]!.queue == c.cores["n1"]!.queue)
    }

    @Test func aSnapshotTheLogMovedPastWhileItWasDecodedIsDropped() throws {
        var c = try Self.laggingFollower()
        c.holdInstalls = true
        c.isolated = []
        #expect(c.run(upTo: 100) { $0.installs["n3"]?.count == 1 })
        let snapIndex = try #require(c.installs["n3"]?.first).metadata.index
        // n1 goes; n2, which never compacted, leads and catches n3 up by appends meanwhile.
        c.isolated = ["n1"]
        #expect(c.run(upTo: 400) { $0.cores["n2"]!.isLeader && $0.cores["n3"]!.applied > snapIndex })
        let taken = c.completeInstall("n3")
        #expect(!taken, "the snapshot is older than what n3 now holds")
        #expect(c.stores["n3"]!.stored.snapshot == nil)
        #expect(c.cores["n3"]!.raft.snapshotIndex == 0)
        #expect(!c.all("n3").contains { $0.restoredSnapshot })
        #expect(c.run(upTo: 50) { c in c.cores["n3"]!.applied == c.cores["n2"]!.applied })
        #expect(c.cores["n3"]!.queue.taskCount == 30)
        #expect(c.cores["n3"]!.queue == c.cores["n2"]!.queue)
    }
}
