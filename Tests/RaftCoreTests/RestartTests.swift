import RaftCore
import Testing

/// A node restarted from what it persisted keeps its term, vote and commit: it must never
/// vote twice in one term or forget an entry it acknowledged.
@Suite("Restart")
struct RestartTests {
    static let E = TestCluster.electionTicks

    @Test("every node restarted from disk keeps term, vote, commit, log and membership")
    func restartKeepsHardState() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 3)
        c.tickAll(Self.E)
        for id in c.ids {
            let before = (c[id].hardState, c[id].membership, c.log(id), c.values(id))
            c.crash(id)
            c.restart(id)
            #expect(c[id].hardState == before.0, "\(id)")
            #expect(c[id].term == before.0.term && c[id].vote == before.0.vote && c[id].commitIndex == before.0.commit)
            #expect(c[id].membership == before.1)
            #expect(c.log(id) == before.2)
            #expect(c.values(id) == before.3, "\(id) re-applied its committed entries")
            #expect(c[id].role == .follower && c[id].leader == nil, "what it only had in memory is gone")
            c.tick(until: { $0.leader != nil }, within: 10 * Self.E)
            c.tickAll(Self.E)
        }
        let leader = try #require(c.leader)
        c.proposeAndCommit(leader, count: 1, prefix: "after")
        for id in c.ids { #expect(c.values(id) == ["v1", "v2", "v3", "after1"]) }
    }

    @Test("a voter restarted after granting its vote does not vote again in that term")
    func noDoubleVoteAfterRestart() throws {
        // Without pre-vote, two candidates can ask for votes in the same term.
        let c = TestCluster(configure: { $0.preVote = false })
        c.tickUntilCampaigning("n1")
        c.tickUntilCampaigning("n3")
        let term = c["n1"].term
        #expect(c["n3"].term == term)

        // n2 votes for n3; its answer is lost as it crashes.
        c.deliverRound { $0.from == "n3" && $0.to == "n2" }
        #expect(c.storage["n2"]!.hardState.vote == "n3")
        #expect(c.storage["n2"]!.hardState.term == term)
        c.dropInFlight { $0.from == "n2" }
        c.crash("n2")
        c.restart("n2")
        #expect(c["n2"].term == term && c["n2"].vote == "n3")

        // n1's request for the same term reaches the restarted n2.
        let mark = c.sentCount
        c.deliverRound { $0.from == "n1" && $0.to == "n2" }
        let answers = c.sent(since: mark).filter { $0.from == "n2" && $0.body.name == "VoteResp" }
        #expect(answers.count == 1)
        #expect(answers.allSatisfy { !$0.isGrantedVote && $0.term == term })
        c.stabilize()
        #expect(c.leadersByTerm()[term] == nil, "with n2's only vote lost, nobody wins this term")
        #expect(c["n2"].vote == "n3")
        c.tick(until: { $0.leader != nil }, within: 10 * Self.E)
        #expect(c[c.leader!].term > term)
    }

    @Test("a crashed leader returns as a follower, and nothing committed is lost")
    func leaderRestart() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 2)
        let term = c["n1"].term
        c.crash("n1")
        c.tick(until: { $0.leader != nil }, within: 10 * Self.E)
        let leader = try #require(c.leader)
        #expect(c[leader].term > term)
        c.proposeAndCommit(leader, count: 1, prefix: "new")

        c.restart("n1")
        #expect(c["n1"].role == .follower)
        #expect(c["n1"].term == term)
        #expect(c.values("n1") == ["v1", "v2"])
        c.tickAll(2 * Self.E)
        #expect(c.leader == leader, "the returning node does not disturb the new leader")
        #expect(c["n1"].term == c[leader].term)
        #expect(c.values("n1") == ["v1", "v2", "new1"])
    }

    @Test("a follower that crashes loses nothing it acknowledged")
    func acknowledgedEntriesSurviveACrash() throws {
        let c = TestCluster()
        c.elect("n1")
        c.crash("n3")
        let x = try c.propose("n1", "x")
        c.stabilize()
        #expect(c["n1"].commitIndex >= x.index)
        // n2 acknowledged x, so x is on its disk, even if it crashes before learning it committed.
        c.crash("n2")
        c.restart("n2")
        #expect(c["n2"].entry(at: x.index)?.text == "x")
        c.crash("n1")
        c.restart("n3")
        c.tick(until: { $0.leader != nil }, within: 10 * Self.E)
        c.stabilize()
        #expect(c.leader == "n2", "only n2 has the committed entry, so only it can win")
        #expect(c.values("n3") == ["x"])
    }
}

@Suite("A follower whose log went back")
struct RegressedFollowerTests {
    static let E = TestCluster.electionTicks

    @Test("the leader resends from where a follower that lost synced entries really is", arguments: [false, true])
    func leaderResendsFromTheFollowersRealEnd(whileIdle: Bool) throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 6)
        c.tickAll(Self.E)
        let acknowledged = c["n1"].lastIndex
        c.crash("n3")
        c.loseSyncedEntries("n3", after: 2)
        c.restart("n3")
        #expect(c["n3"].lastIndex == 2)
        // Idle, the leader hears only heartbeats, but saw n3's connection close; busy, its next
        // append meets the gap at once.
        if whileIdle { c.peerDisconnected("n1", from: "n3") } else { c.proposeAndCommit("n1", count: 1, prefix: "w") }
        c.tick(until: { $0["n3"].lastIndex == $0["n1"].lastIndex && $0["n3"].commitIndex == $0["n1"].commitIndex }, within: 20 * Self.E)
        #expect(c.log("n3") == c.log("n1"), "n3 caught up from index 3")
        let regressed = c.events(of: "n1").compactMap { e -> (NodeID, UInt64, UInt64)? in
            if case let .followerRegressed(peer, from, to) = e { return (peer, from, to) } else { return nil }
        }
        #expect(regressed.count == 1)
        #expect(regressed.first?.0 == "n3" && regressed.first?.1 == acknowledged && regressed.first?.2 == 2)
        c.checkLogMatching()
    }
}
