import RaftCore
import Testing

/// Raft paper, Figure 3 — Leader Completeness: if a log entry is committed in a given term,
/// that entry will be present in the logs of the leaders for all higher-numbered terms.
/// (The cluster also checks every new leader against every entry any node has applied.)
@Suite("Figure 3: Leader Completeness")
struct LeaderCompletenessTests {
    static let E = TestCluster.electionTicks

    /// Every entry applied anywhere is in `leader`'s log.
    static func expectHoldsEverythingCommitted(_ c: TestCluster, _ leader: NodeID, sourceLocation: SourceLocation = #_sourceLocation) {
        for (index, e) in c.appliedEntries.sorted(by: { $0.key < $1.key }) where index > c[leader].snapshotIndex {
            #expect(c[leader].entry(at: index) == e, "leader \(leader) lacks committed entry \(index)", sourceLocation: sourceLocation)
        }
    }

    @Test("every later leader holds every committed entry, through a chain of leader crashes")
    func committedEntriesSurviveEveryLeaderChange() throws {
        let c = TestCluster(voters: 5)
        c.elect("n1")
        for round in 1...4 {
            let leader = try #require(c.leader)
            let term = c[leader].term
            c.proposeAndCommit(leader, count: 2, prefix: "t\(term)-")
            // A follower that misses the last entry makes the next election contested.
            let laggard = c.upNodes.first { $0 != leader }!
            c.isolate(laggard)
            try c.propose(leader, "round\(round)")
            c.stabilize()
            c.heal()

            // The leader crashes; the others must elect one that has everything committed.
            c.crash(leader)
            c.tick(until: { c in c.leader.map { c[$0].term > term } ?? false }, within: 10 * Self.E)
            let next = try #require(c.leader)
            #expect(next != laggard, "a node missing a committed entry cannot win")
            Self.expectHoldsEverythingCommitted(c, next)
            // Bring the old leader back before the next round so a quorum remains.
            c.restart(leader)
            c.tickAll(2 * Self.E)
        }
        #expect(c.appliedEntries.values.filter { $0.text.hasPrefix("round") }.count == 4)
    }

    @Test("a node missing a committed entry cannot win, with or without pre-vote",
          arguments: [true, false])
    func nodeMissingACommittedEntryCannotWin(preVote: Bool) throws {
        // Without check-quorum's lease, n2 answers n3 on the merits of their logs alone.
        let c = TestCluster(configure: { $0.preVote = preVote; $0.checkQuorum = false })
        c.elect("n1")
        c.isolate("n3")
        let x = try c.propose("n1", "x")
        c.stabilize()
        #expect(c["n2"].commitIndex >= x.index, "x is committed by n1 and n2")
        #expect(c["n3"].lastIndex < x.index)

        // The leader dies and n3, which never got x, campaigns again and again.
        c.crash("n1")
        c.heal()
        let mark = c.sentCount
        c.tick(["n3"], times: 6 * Self.E)
        let campaign = c.sent(since: mark).filter { $0.from == "n3" && $0.to == "n2" && $0.isElection }
        #expect(!campaign.isEmpty, "n3 did campaign")
        #expect(!c.sent(since: mark).contains { $0.to == "n3" && ($0.isGrantedVote || $0.isGrantedPreVote) })
        #expect(c["n3"].role != .leader)
        #expect(!c.leadersByTerm().values.contains { $0.contains("n3") })

        // n2, which has x, wins and brings n3 up to date.
        c.tick(until: { $0.leader == "n2" }, within: 10 * Self.E)
        c.stabilize()
        #expect(c["n3"].entry(at: x.index)?.text == "x")
        #expect(c.values("n3") == ["x"])
    }
}
