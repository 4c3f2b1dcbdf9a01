import RaftCore
import Testing

/// Single-server membership changes (dissertation §4.1): one at a time, and only once the
/// leader has committed an entry of its own term. A change takes effect when it is applied.
@Suite("Membership changes")
struct MembershipTests {
    static let E = TestCluster.electionTicks

    @Test("only one change may be pending; the next is accepted once the first is applied")
    func oneChangeAtATime() throws {
        let c = TestCluster()
        c.elect("n1")
        c.addNode("n4")
        c.addNode("n5")
        let first = try c.proposeConfChange("n1", .addLearner("n4", address: ""))
        #expect(throws: RaftError.configChangePending(index: first.index)) {
            try c.proposeConfChange("n1", .addLearner("n5", address: ""))
        }
        // Ordinary proposals are still welcome meanwhile.
        try c.propose("n1", "data")
        c.stabilize()
        #expect(c["n1"].appliedIndex >= first.index)
        try c.proposeConfChange("n1", .addLearner("n5", address: ""))
        c.stabilize()
        #expect(c["n1"].membership.learners == ["n4", "n5"])
        #expect(c["n5"].membership.learners == ["n4", "n5"])
    }

    @Test("a new leader accepts no change before it has committed an entry of its own term")
    func noChangeBeforeOwnTermCommit() throws {
        let c = TestCluster()
        c.elect("n1")
        try c.transferLeadership("n1", to: "n2")
        // Deliver only until n2 has won; its no-op has not been acknowledged yet.
        c.stabilize(where: { _ in c["n2"].role != .leader })
        try #require(c["n2"].role == .leader)
        let noop = c["n2"].lastIndex
        #expect(c["n2"].entry(at: noop)?.kind == .noop)
        #expect(c["n2"].commitIndex < noop)
        #expect(throws: RaftError.configChangePending(index: noop)) {
            try c.proposeConfChange("n2", .remove("n3"))
        }
        c.stabilize()
        #expect(c["n2"].commitIndex >= noop)
        try c.proposeConfChange("n2", .remove("n3"))
    }

    @Test("invalid changes are refused up front")
    func invalidChangesRefused() throws {
        let c = TestCluster()
        c.elect("n1")
        #expect(throws: RaftError.invalidConfChange("n2 is already a member")) {
            try c.proposeConfChange("n1", .addLearner("n2", address: ""))
        }
        #expect(throws: RaftError.invalidConfChange("n2 is already a voter")) { try c.proposeConfChange("n1", .promote("n2")) }
        #expect(throws: RaftError.invalidConfChange("n9 is not a member")) { try c.proposeConfChange("n1", .remove("n9")) }
        #expect(throws: RaftError.notLeader(leader: "n1")) { try c.proposeConfChange("n2", .remove("n3")) }
        let bootstrap = ConfChange.bootstrap(Membership([Member(id: "n1", isVoter: true)]))
        #expect(throws: RaftError.self) { try c.proposeConfChange("n1", bootstrap) }
    }

    @Test("removing a follower: the rest commit without it and the leader stops contacting it")
    func removeFollower() throws {
        let c = TestCluster()
        c.elect("n1")
        let removal = try c.proposeConfChange("n1", .remove("n3"))
        c.stabilize()
        #expect(c["n1"].membership.voters == ["n1", "n2"])
        #expect(c["n2"].membership.voters == ["n1", "n2"])
        #expect(c["n3"].membership.voters == ["n1", "n2"], "n3 applied its own removal")
        #expect(c["n1"].status.peers.map(\.id) == ["n2"])
        #expect(c.events(of: "n1").contains { if case .membershipChanged(_, "remove n3") = $0 { true } else { false } })

        let mark = c.sentCount
        c.proposeAndCommit("n1", count: 2)
        c.tickAll(5 * Self.E)
        #expect(!c.sent(since: mark).contains { $0.to == "n3" })
        #expect(c["n3"].lastIndex == removal.index)
        #expect(c["n3"].role == .follower, "a removed node never campaigns")
        #expect(c.values("n2") == ["v1", "v2"])
        // Two voters now: both are needed.
        c.crash("n2")
        let lonely = try c.propose("n1", "lonely")
        c.stabilize()
        #expect(c["n1"].commitIndex < lonely.index)
    }

    @Test("removing the leader: it steps down once the removal commits, and the rest elect a new leader")
    func removeLeader() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 1)
        let term = c["n1"].term
        let removal = try c.proposeConfChange("n1", .remove("n1"))
        c.stabilize()

        #expect(c["n1"].role == .follower)
        #expect(c["n1"].commitIndex >= removal.index)
        #expect(!c["n1"].membership.contains("n1"))
        #expect(c.events(of: "n1").contains(.roleChanged(from: .leader, to: .follower, term: term)))
        #expect(c["n2"].commitIndex >= removal.index, "the leader's last broadcast carried the commit")

        let mark = c.sentCount
        c.tick(until: { $0.leader != nil }, within: 10 * Self.E)
        let leader = try #require(c.leader)
        #expect(["n2", "n3"].contains(leader))
        #expect(c[leader].membership.voters == ["n2", "n3"])
        c.proposeAndCommit(leader, count: 1, prefix: "after")
        c.tickAll(5 * Self.E)
        #expect(c.leader == leader)
        #expect(!c.sent(since: mark).contains { $0.from == "n1" && $0.isElection }, "n1 no longer campaigns")
        #expect(c.values("n3") == ["v1", "after1"])
    }

    @Test("the last voter cannot be removed")
    func removingLastVoterRefused() throws {
        let c = TestCluster(voters: 1)
        c.elect("n1")
        #expect(throws: RaftError.invalidConfChange("cannot remove the last voter")) {
            try c.proposeConfChange("n1", .remove("n1"))
        }
        // Not even with a learner around to take over.
        c.addNode("n2")
        try c.proposeConfChange("n1", .addLearner("n2", address: ""))
        c.stabilize()
        #expect(throws: RaftError.invalidConfChange("cannot remove the last voter")) {
            try c.proposeConfChange("n1", .remove("n1"))
        }
        // The learner itself can go.
        try c.proposeConfChange("n1", .remove("n2"))
        c.stabilize()
        #expect(c["n1"].membership.ids == ["n1"])
    }

    @Test("scale 3 → 5 → 3: learners join, are promoted, then two old voters leave")
    func scaleUpAndDown() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 2, prefix: "a")
        for id in ["n4", "n5"] {
            c.addNode(id)
            try c.proposeConfChange("n1", .addLearner(id, address: ""))
            c.stabilize()
            try c.proposeConfChange("n1", .promote(id))
            c.stabilize()
        }
        #expect(c["n5"].membership.voters == ["n1", "n2", "n3", "n4", "n5"])
        for id in ["n2", "n3"] {
            try c.proposeConfChange("n1", .remove(id))
            c.stabilize()
        }
        #expect(c["n1"].membership.voters == ["n1", "n4", "n5"])
        try c.transferLeadership("n1", to: "n5")
        c.stabilize()
        #expect(c.leader == "n5")
        c.proposeAndCommit("n5", count: 2, prefix: "b")
        for id in ["n1", "n4", "n5"] { #expect(c.values(id) == ["a1", "a2", "b1", "b2"]) }
    }
}
