import RaftCore
import Testing

/// Raft paper §5.4.2 and Figure 8: a leader never commits an entry of an earlier term by
/// counting replicas; such entries commit only indirectly, when an entry of the leader's
/// own term commits after them.
@Suite("Commit rule (Figure 8)")
struct CommitRuleTests {
    static let E = TestCluster.electionTicks

    /// The Figure 8 setup on three nodes:
    /// - n1 leads term 2, appends X (index 3) and crashes before anybody else gets it;
    /// - `b` wins a later term with `c`'s vote and appends its no-op at index 3, which nobody else gets;
    /// - `b` crashes and n1 restarts; n1 wins again (with `other`) and copies X onto `other`, so
    ///   X sits on a majority — but n1's own no-op (index 4) has not reached `other` yet.
    struct Figure8 {
        let c: TestCluster
        let b: NodeID
        let other: NodeID
        let x: EntryID
    }

    static func figure8() throws -> Figure8 {
        // One entry per append, so X can travel without n1's newer no-op.
        let c = TestCluster(configure: { $0.maxEntriesPerAppend = 1 })
        c.elect("n1")
        #expect(c["n1"].term == 2 && c["n1"].lastIndex == 2)

        // n1 appends X, persists it, and crashes before any copy leaves.
        let x = try c.propose("n1", "X")
        #expect(x == EntryID(index: 3, term: 2))
        c.dropInFlight { $0.from == "n1" }
        c.crash("n1")

        // n2 and n3 elect a leader whose messages as leader all get lost.
        c.drop { $0.isFromLeader && $0.from != "n1" }
        c.tick(["n2", "n3"], until: { c in c.leaders.contains { $0 != "n1" } }, within: 10 * Self.E)
        let b = try #require(c.leaders.first { $0 != "n1" })
        let other = b == "n2" ? "n3" : "n2"
        #expect(c[b].entry(at: 3)?.kind == .noop)
        #expect(c[b].term(at: 3)! > 2)
        #expect(c[other].lastIndex == 2)

        c.crash(b)
        c.clearDrops()
        c.restart("n1")
        // n1 campaigns until it wins; only election traffic moves for now.
        for _ in 0..<5 where c["n1"].role != .leader {
            c.tickUntilCampaigning("n1")
            c.stabilize(where: \.isElection)
        }
        try #require(c["n1"].role == .leader)
        let term = c["n1"].term
        #expect(term > c[b].term)

        // Deliver everything, except n1's own-term entries once `other` holds X.
        c.stabilize(where: { m in
            !(m.from == "n1" && m.entries.contains { $0.term == term } && c[other].term(at: 3) == 2)
        })
        return Figure8(c: c, b: b, other: other, x: x)
    }

    @Test("an entry of an earlier term on a majority is not committed by counting replicas")
    func earlierTermEntryOnMajorityIsNotCommitted() throws {
        let f = try Self.figure8()
        let c = f.c
        // X is on n1 and on `other`: two of three, and the leader knows it...
        #expect(c["n1"].entry(at: 3) == c[f.other].entry(at: 3))
        #expect(c["n1"].status.peers.first { $0.id == f.other }?.match == 3)
        // ...yet it is not committed.
        #expect(c["n1"].commitIndex == 2)
        #expect(c[f.other].commitIndex == 2)
        #expect(!c.anyNodeApplied("X"))
    }

    @Test("that is what makes it safe: a later leader may still overwrite it")
    func laterLeaderMayOverwriteIt() throws {
        let f = try Self.figure8()
        let c = f.c
        // n1 crashes before its no-op spreads; `b` comes back. b's last term is newer than X's,
        // so `other` votes for b, and b overwrites X with its own entry at index 3.
        c.dropInFlight { $0.from == "n1" }
        c.crash("n1")
        c.restart(f.b)
        c.tick(until: { $0.leader == f.b }, within: 10 * Self.E)
        c.stabilize()
        #expect(c[f.other].term(at: 3) == c[f.b].term(at: 3))
        #expect(c[f.other].entry(at: 3)?.text != "X")
        #expect(c.storage[f.other]!.truncations >= 1, "X was replaced on `other`")

        c.restart("n1")
        c.tickAll(3 * Self.E)
        #expect(c.log("n1") == c.log(f.b))
        #expect(!c.anyNodeApplied("X"), "X was never committed, so nobody applied it")
        c.checkLogMatching()
    }

    @Test("it commits together with the first entry of the leader's own term")
    func earlierTermEntryCommitsWithOwnTermEntry() throws {
        let f = try Self.figure8()
        let c = f.c
        c.stabilize()
        // n1's no-op (index 4, its own term) reaches `other`: 4 commits, and X with it.
        #expect(c["n1"].commitIndex == 4)
        #expect(c["n1"].term(at: 4) == c["n1"].term)
        #expect(!(c.commitHistory["n1"] ?? []).contains(3), "the commit index jumped over X's index")
        #expect(c.values("n1") == ["X"])
        c.tickAll(Self.E)
        #expect(c.values(f.other) == ["X"])
        #expect(c[f.other].commitIndex == 4)
    }
}
