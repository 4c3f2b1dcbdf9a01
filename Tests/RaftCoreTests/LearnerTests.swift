import RaftCore
import Testing

/// Learners (non-voters) replicate the log but take no part in elections or commitment until
/// they are promoted.
@Suite("Learners")
struct LearnerTests {
    static let E = TestCluster.electionTicks

    /// Three voters led by n1, plus learner n4 caught up.
    static func clusterWithLearner() throws -> TestCluster {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 3)
        c.addNode("n4")
        try c.proposeConfChange("n1", .addLearner("n4", address: "10.0.0.4:7000"))
        c.stabilize()
        return c
    }

    @Test("an added learner receives the whole log and the membership that names it")
    func learnerReplicates() throws {
        let c = try Self.clusterWithLearner()
        #expect(c.log("n4") == c.log("n1"))
        #expect(c.values("n4") == ["v1", "v2", "v3"])
        for id in c.ids {
            #expect(c[id].membership.voters == ["n1", "n2", "n3"])
            #expect(c[id].membership.learners == ["n4"])
        }
        #expect(c["n4"].membership.members["n4"]?.address == "10.0.0.4:7000")
        #expect(!c["n4"].isVoter)
        c.proposeAndCommit("n1", count: 1, prefix: "more")
        #expect(c.values("n4").last == "more1")
    }

    @Test("a learner never campaigns and is never asked for a vote")
    func learnerNeverVotesOrCampaigns() throws {
        let c = try Self.clusterWithLearner()
        let mark = c.sentCount
        // Cut off from the leader for many election timeouts, a voter would campaign.
        c.isolate("n4")
        c.peerDisconnected("n4", from: "n1")
        c.tickAll(10 * Self.E)
        #expect(c["n4"].role == .follower)
        #expect(!c.sent(since: mark).contains { $0.from == "n4" && $0.isElection })

        // The voters lose their leader and elect another without the learner.
        c.heal()
        c.crash("n1")
        c.tick(until: { c in c.leader.map { $0 != "n1" } ?? false }, within: 10 * Self.E)
        c.tickAll(Self.E)
        let leader = try #require(c.leader)
        #expect(["n2", "n3"].contains(leader))
        #expect(!c.sent(since: mark).contains { $0.to == "n4" && $0.isElection })
        #expect(!c.sent(since: mark).contains { $0.from == "n4" && $0.isElection })
        #expect(c["n4"].leader == leader, "the learner follows the new leader")
        #expect(!c.leadersByTerm().values.contains { $0.contains("n4") })
    }

    @Test("a learner does not count toward the commit quorum until it is promoted; then it does")
    func learnerCountsOnlyOncePromoted() throws {
        let c = try Self.clusterWithLearner()
        // Two of three voters down: the leader and the learner alone cannot commit.
        c.crash("n2")
        c.crash("n3")
        let x = try c.propose("n1", "x")
        c.stabilize()
        #expect(c["n4"].lastIndex >= x.index, "the learner has x")
        #expect(c["n1"].commitIndex < x.index, "but it does not count")

        // A voter returns: x commits.
        c.restart("n2")
        c.tick(until: { $0["n1"].commitIndex >= x.index }, within: Self.E)

        // Promote n4.
        let promote = try c.proposeConfChange("n1", .promote("n4"))
        c.stabilize()
        #expect(c["n1"].commitIndex >= promote.index)
        #expect(c["n1"].membership.voters == ["n1", "n2", "n3", "n4"])
        #expect(c["n4"].isVoter)

        // Four voters need three: with n3 still down, n1 + n2 + n4 commit — n4 counts.
        let y = try c.propose("n1", "y")
        c.stabilize()
        #expect(c["n1"].commitIndex >= y.index)
        // Without n4 there is no quorum any more.
        c.crash("n4")
        let z = try c.propose("n1", "z")
        c.stabilize()
        #expect(c["n1"].commitIndex < z.index)
    }

    @Test("a promoted learner can become leader")
    func promotedLearnerCanLead() throws {
        let c = try Self.clusterWithLearner()
        try c.proposeConfChange("n1", .promote("n4"))
        c.stabilize()
        c.tickAll(Self.E)
        try c.transferLeadership("n1", to: "n4")
        c.stabilize()
        #expect(c.leader == "n4")
        c.proposeAndCommit("n4", count: 1, prefix: "from-n4")
        #expect(c.values("n2").last == "from-n41")
    }
}
