import RaftCore
import Testing

/// Check-quorum (dissertation §6.2): a leader that has not heard from a quorum within an
/// election timeout steps down, so a partitioned leader does not linger.
@Suite("Check-quorum")
struct CheckQuorumTests {
    static let E = TestCluster.electionTicks

    @Test("a leader cut off from the majority steps down within two election timeouts; healed, it follows the new leader")
    func cutOffLeaderStepsDown() throws {
        let c = TestCluster(voters: 5)
        c.elect("n1")
        c.proposeAndCommit("n1", count: 1)
        let term = c["n1"].term

        c.partition(["n1", "n2"], ["n3", "n4", "n5"])
        let rounds = try #require(c.tick(until: { $0["n1"].role != .leader }, within: 2 * Self.E))
        #expect(rounds <= 2 * Self.E)
        #expect(c.events(of: "n1").contains(.checkQuorumFailed(term: term)))
        #expect(c["n1"].role == .follower)
        #expect(c["n1"].term == term, "stepping down does not raise the term")

        // The majority elects a new leader and carries on.
        c.tick(until: { c in c.leaders.contains { ["n3", "n4", "n5"].contains($0) } }, within: 10 * Self.E)
        let newLeader = try #require(c.leader)
        #expect(c[newLeader].term > term)
        c.proposeAndCommit(newLeader, count: 2, prefix: "after")

        c.heal()
        c.tickAll(3 * Self.E)
        #expect(c.leaders == [newLeader])
        #expect(c["n1"].leader == newLeader)
        #expect(c["n1"].term == c[newLeader].term)
        #expect(c.values("n1") == ["v1", "after1", "after2"])
    }

    @Test("a healed stale leader steps down at the first reply to its heartbeat, before check-quorum would")
    func staleLeaderLearnsTheNewTermFromAFollower() throws {
        let c = TestCluster(voters: 5)
        c.elect("n1")
        let term = c["n1"].term
        c.partition(["n1", "n2"], ["n3", "n4", "n5"])
        // Only the majority's clocks run, so n1 is still leader when the partition heals.
        c.tick(["n3", "n4", "n5"], until: { c in c.leaders.contains { $0 != "n1" } }, within: 10 * Self.E)
        let newLeader = try #require(c.leaders.first { $0 != "n1" })
        let newTerm = c[newLeader].term
        #expect(c["n1"].role == .leader)

        // The new leader's own messages still cannot reach n1.
        c.heal()
        c.cut(from: newLeader, to: "n1")
        let rounds = try #require(c.tick(["n1"], until: { $0["n1"].role != .leader }, within: TestCluster.heartbeatTicks))
        #expect(rounds <= TestCluster.heartbeatTicks)
        #expect(c["n1"].term == newTerm)
        #expect(!c.events(of: "n1").contains(.checkQuorumFailed(term: term)))
    }

    @Test("a leader that still hears a majority stays, even with a follower gone")
    func leaderWithAQuorumStays() {
        let c = TestCluster()
        c.elect("n1")
        let term = c["n1"].term
        c.isolate("n3")
        c.tickAll(10 * Self.E)
        #expect(c.leader == "n1")
        #expect(c["n1"].term == term)
        #expect(!c.events(of: "n1").contains(.checkQuorumFailed(term: term)))
    }

    @Test("the leader counts voters only: two learners cannot keep a leader without a voter quorum")
    func learnersDoNotKeepALeaderAlive() throws {
        let c = TestCluster()
        c.elect("n1")
        for learner in ["n4", "n5"] {
            c.addNode(learner)
            try c.proposeConfChange("n1", .addLearner(learner, address: ""))
            c.stabilize()
        }
        #expect(c["n1"].membership.learners == ["n4", "n5"])
        let term = c["n1"].term
        c.partition(["n1", "n4", "n5"], ["n2", "n3"])
        c.tick(until: { $0["n1"].role != .leader }, within: 2 * Self.E)
        #expect(c.events(of: "n1").contains(.checkQuorumFailed(term: term)))
    }
}
