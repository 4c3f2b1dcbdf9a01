import RaftCore
import Testing

/// ReadIndex (dissertation §6.4): the leader records its commit index, confirms with a quorum
/// heartbeat round that it is still the leader, then hands out a `ReadState` at that index.
@Suite("ReadIndex")
struct ReadIndexTests {
    static let E = TestCluster.electionTicks

    @Test("the leader returns a ReadState at its commit index once a quorum answers its heartbeat")
    func readStateAfterQuorumHeartbeat() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 3)
        let commit = c["n1"].commitIndex
        let mark = c.sentCount

        try c.readIndex("n1", context: 42)
        #expect(c.readStates(of: "n1").isEmpty, "not before leadership is confirmed")
        let heartbeats = c.sent(since: mark)
        #expect(heartbeats.map(\.to).sorted() == ["n2", "n3"])
        #expect(heartbeats.allSatisfy { $0.body == .heartbeat(commit: commit, context: 42) })

        c.deliverRound()  // the followers answer
        #expect(c.readStates(of: "n1").isEmpty)
        c.deliverRound { $0.from == "n2" }  // one answer plus the leader itself is a quorum of three
        let reads = c.readStates(of: "n1")
        #expect(reads.map(\.context) == [42])
        #expect(reads.map(\.index) == [commit])
        c.stabilize()
        #expect(c.readStates(of: "n1").count == 1, "a late answer does not repeat the read")
    }

    @Test("a partitioned leader never returns a ReadState")
    func partitionedLeaderNeverReads() throws {
        let c = TestCluster(voters: 5)
        c.elect("n1")
        c.partition(["n1", "n2"], ["n3", "n4", "n5"])
        try c.readIndex("n1", context: 7)
        c.tickAll(3 * Self.E)
        #expect(c.readStates(of: "n1").isEmpty)
        #expect(c["n1"].role != .leader)
        c.heal()
        c.tickAll(3 * Self.E)
        #expect(c.readStates(of: "n1").isEmpty, "the request died with the leadership")
        #expect(c.ids.allSatisfy { c.readStates(of: $0).isEmpty })
    }

    @Test("a follower refuses with notLeader and names the leader it knows")
    func followerRefuses() throws {
        let c = TestCluster()
        #expect(throws: RaftError.notLeader(leader: nil)) { try c.readIndex("n2", context: 1) }
        c.elect("n1")
        #expect(throws: RaftError.notLeader(leader: "n1")) { try c.readIndex("n2", context: 1) }
    }

    @Test("a new leader holds reads until it has committed an entry of its own term")
    func newLeaderWaitsForOwnTermCommit() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 2)
        try c.transferLeadership("n1", to: "n2")
        c.stabilize(where: { _ in c["n2"].role != .leader })
        try #require(c["n2"].role == .leader)
        let noop = c["n2"].lastIndex
        #expect(c["n2"].commitIndex < noop)
        let mark = c.sentCount

        try c.readIndex("n2", context: 9)
        #expect(!c.sent(since: mark).contains { if case .heartbeat(_, 9) = $0.body { true } else { false } },
                "no confirmation round before the no-op commits: the commit index may be stale")
        c.stabilize()
        let reads = c.readStates(of: "n2")
        #expect(reads.map(\.context) == [9])
        #expect(reads.first.map(\.index) ?? 0 >= noop)
    }

    @Test("confirming a later read also releases the earlier ones, in order")
    func laterConfirmationReleasesEarlierReads() throws {
        let c = TestCluster()
        c.elect("n1")
        // Every answer to the first read's heartbeat is lost.
        c.drop { if case .heartbeatResponse(1) = $0.body { true } else { false } }
        try c.readIndex("n1", context: 1)
        try c.propose("n1", "x")
        try c.readIndex("n1", context: 2)
        c.stabilize()
        let reads = c.readStates(of: "n1")
        #expect(reads.map(\.context) == [1, 2])
        #expect(reads[0].index <= reads[1].index)
    }
}
