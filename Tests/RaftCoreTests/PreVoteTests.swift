import RaftCore
import Testing

/// Pre-vote (dissertation §9.6): a node first asks whether it could win, without raising its
/// term, so a node that was cut off cannot force an election when it comes back.
@Suite("Pre-vote")
struct PreVoteTests {
    static let E = TestCluster.electionTicks

    @Test("a node isolated for many election timeouts keeps its term, and rejoining disturbs nobody")
    func isolatedNodeKeepsItsTermAndRejoinsQuietly() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 2)
        let term = c["n1"].term

        c.isolate("n3")
        let mark = c.sentCount
        c.tickAll(10 * Self.E)
        // n3 tried, over and over, but only ever with pre-votes.
        #expect(c.sent(since: mark).filter { $0.from == "n3" && $0.body.name == "PreVote" }.count >= 5)
        #expect(!c.sent(since: mark).contains { $0.from == "n3" && $0.body.name == "Vote" })
        #expect(c["n3"].term == term)
        #expect(c["n3"].role == .preCandidate)
        #expect(c.leader == "n1" && c["n1"].term == term)

        // Nothing was written meanwhile, so n3's log is as good as anyone's: only the
        // others' lease on their leader stops its pre-vote when it returns.
        #expect(c["n3"].lastIndex == c["n1"].lastIndex)
        c.heal()
        // n3's next pre-vote goes out before any heartbeat reaches it; both others ignore it.
        let back = c.sentCount
        c.tick(["n3"], until: { c in c.sent(since: back).contains { $0.from == "n3" && $0.body.name == "PreVote" } },
               within: 2 * Self.E)
        #expect(!c.sent(since: back).contains { $0.to == "n3" && $0.isGrantedPreVote })
        #expect(c["n3"].term == term)
        c.tickAll(3 * Self.E)
        #expect(c.leader == "n1")
        for id in c.ids {
            #expect(c[id].term == term, "\(id)'s term moved")
            #expect(c[id].leader == "n1")
        }
        #expect(c.leadersByTerm().count == 1, "no election happened")
        c.proposeAndCommit("n1", count: 1, prefix: "back")
        #expect(c.values("n3") == ["v1", "v2", "back1"])
    }

    @Test("for contrast, without pre-vote the same isolation inflates the term and deposes the leader")
    func withoutPreVoteTheTermInflates() throws {
        let c = TestCluster(configure: { $0.preVote = false; $0.checkQuorum = false })
        c.elect("n1")
        let term = c["n1"].term
        c.isolate("n3")
        c.tickAll(10 * Self.E)
        #expect(c["n3"].term > term + 3)

        c.heal()
        c.tickAll(3 * Self.E)
        let leader = try #require(c.leader)
        #expect(c[leader].term > term + 3, "the returning node forced a new, higher term")
        #expect(c.leadersByTerm().count > 1)
    }

    @Test("a pre-vote is granted only to a log at least as up to date, and never moves a term")
    func preVoteChecksTheLogAndKeepsTerms() throws {
        let c = TestCluster(configure: { $0.checkQuorum = false })
        c.elect("n1")
        c.isolate("n3")
        c.proposeAndCommit("n1", count: 1)
        c.heal()
        let term = c["n1"].term
        // n3 (behind) and n2 (up to date) each ask n1 for a pre-vote.
        c.tickUntilCampaigning("n3")
        c.tickUntilCampaigning("n2")
        c.deliverRound { $0.body.name == "PreVote" && $0.to == "n1" }
        let answers = c.sent(from: "n1").filter { $0.body.name == "PreVoteResp" }
        #expect(answers.map(\.to) == ["n3", "n2"])
        #expect(answers.map(\.isGrantedPreVote) == [false, true])
        #expect(c["n1"].term == term, "answering a pre-vote does not change the term")
        #expect(c["n1"].vote == "n1", "nor the vote")
    }
}
