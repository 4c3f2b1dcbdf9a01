import RaftCore
import Testing

/// Raft paper, Figure 3 — Election Safety: at most one leader can be elected in a given term.
/// (The cluster also checks this on every role change; these stories provoke the hard cases.)
@Suite("Figure 3: Election Safety")
struct ElectionSafetyTests {
    static let E = TestCluster.electionTicks

    @Test("a cold start of five nodes elects exactly one leader, whatever the seed",
          arguments: 1...20 as ClosedRange<UInt64>)
    func coldStartElectsOneLeader(seed: UInt64) throws {
        let c = TestCluster(voters: 5, seed: seed)
        // Everyone ticks at once, so several nodes may time out together.
        c.tick(until: { $0.leader != nil }, within: 10 * Self.E)
        c.tickAll(3 * Self.E)

        #expect(c.leaders.count == 1)
        let leader = try #require(c.leader)
        for id in c.ids {
            #expect(c[id].term == c[leader].term)
            #expect(c[id].leader == leader)
        }
        for (term, leaders) in c.leadersByTerm() {
            #expect(leaders.count == 1, "term \(term) had leaders \(leaders)")
        }
    }

    @Test("a split vote elects nobody in its term; a later term elects exactly one leader")
    func splitVote() throws {
        let c = TestCluster(voters: 4)
        // n1 and n2 time out together and both pass their pre-vote (nobody has a leader yet).
        c.tickUntilCampaigning("n1")
        c.tickUntilCampaigning("n2")
        c.deliverRound { $0.body.name == "PreVote" }
        c.deliverRound { $0.body.name == "PreVoteResp" }
        #expect(c["n1"].role == .candidate)
        #expect(c["n2"].role == .candidate)
        #expect(c["n1"].term == 2 && c["n2"].term == 2)

        // n3 hears n1 first and n4 hears n2 first: 2 votes each, and 4 voters need 3.
        c.deliverRound { $0.body.name == "Vote" && (($0.from == "n1" && $0.to == "n3") || ($0.from == "n2" && $0.to == "n4")) }
        c.stabilize()
        #expect(c["n3"].vote == "n1")
        #expect(c["n4"].vote == "n2")
        #expect(c.leaders.isEmpty)
        #expect(c.leadersByTerm()[2] == nil, "nobody may win the split term")
        #expect(c["n1"].role == .follower && c["n2"].role == .follower, "candidates that cannot win give up")

        // Time goes on; some later term elects one leader that everybody follows.
        c.tick(until: { $0.leader != nil }, within: 10 * Self.E)
        c.tickAll(2 * Self.E)
        let leader = try #require(c.leader)
        #expect(c[leader].term > 2)
        #expect(c.leaders == [leader])
        for (term, leaders) in c.leadersByTerm() {
            #expect(leaders.count == 1, "term \(term) had leaders \(leaders)")
        }
    }

    @Test("a partition may leave an old leader behind, but never two leaders in one term")
    func partitionNeverYieldsTwoLeadersInOneTerm() throws {
        let c = TestCluster(voters: 5)
        c.elect("n1")
        let oldTerm = c["n1"].term
        c.partition(["n1", "n2"], ["n3", "n4", "n5"])
        let lost = try c.propose("n1", "minority-write")

        // The majority side elects its own leader in a higher term.
        c.tick(until: { c in c.leaders.contains { ["n3", "n4", "n5"].contains($0) } }, within: 10 * Self.E)
        let newLeader = try #require(c.leaders.first { $0 != "n1" })
        #expect(c[newLeader].term > oldTerm)
        c.proposeAndCommit(newLeader, count: 2, prefix: "majority")
        c.tickAll(3 * Self.E)
        #expect(c["n1"].role != .leader, "the minority leader stepped down")
        #expect(c["n1"].commitIndex < lost.index, "the minority could not commit")

        c.heal()
        c.tickAll(3 * Self.E)
        #expect(c.leaders == [newLeader])
        for id in c.ids { #expect(c[id].term == c[newLeader].term) }
        #expect(!c.anyNodeApplied("minority-write"))
        #expect(c.values("n1") == ["majority1", "majority2"])
        for (term, leaders) in c.leadersByTerm() {
            #expect(leaders.count == 1, "term \(term) had leaders \(leaders)")
        }
    }

    @Test("a vote once granted in a term is not granted to anybody else in it")
    func oneVotePerTerm() {
        // Without pre-vote, n1 and n3 become candidates in the same term and both ask n2.
        let c = TestCluster(configure: { $0.preVote = false })
        c.tickUntilCampaigning("n1")
        c.tickUntilCampaigning("n3")
        #expect(c["n1"].term == c["n3"].term)
        c.deliverRound { $0.from == "n3" && $0.to == "n2" }
        c.deliverRound { $0.from == "n1" && $0.to == "n2" }
        let answers = c.sent(from: "n2").filter { $0.body.name == "VoteResp" }
        #expect(answers.map(\.to) == ["n3", "n1"])
        #expect(answers.map(\.isGrantedVote) == [true, false])
        c.stabilize()
        #expect(c.leaders == ["n3"])
    }
}
