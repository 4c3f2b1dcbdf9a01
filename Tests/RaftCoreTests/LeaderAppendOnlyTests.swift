import RaftCore
import Testing

/// Raft paper, Figure 3 — Leader Append-Only: a leader never overwrites or deletes entries
/// in its log; it only appends new entries. (The cluster also fails the test if any `Ready`
/// of a leader rewrites an index it already persisted.)
@Suite("Figure 3: Leader Append-Only")
struct LeaderAppendOnlyTests {
    static let E = TestCluster.electionTicks

    @Test("a leader keeps its log while a deposed leader with a conflicting suffix rejoins")
    func leaderKeepsItsLogWhenAConflictingNodeRejoins() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 2, prefix: "a")

        // n1 is cut off and keeps accepting proposals nobody else will see.
        c.isolate("n1")
        try c.propose("n1", "stale1")
        try c.propose("n1", "stale2")

        // n2 and n3 elect a leader of their own, which appends and commits.
        c.tick(["n2", "n3"], until: { c in c.leaders.contains { $0 != "n1" } }, within: 10 * Self.E)
        let leader = try #require(c.leaders.first { $0 != "n1" })
        c.proposeAndCommit(leader, count: 2, prefix: "b")
        let logBefore = c.log(leader)

        // n1 comes back claiming its own term's entries at the same indexes.
        c.heal()
        c.tickAll(3 * Self.E)
        try c.propose(leader, "c1")
        c.stabilize()

        #expect(c.leaders == [leader])
        let logAfter = c.log(leader)
        #expect(Array(logAfter.prefix(logBefore.count)) == logBefore, "the leader's existing entries are untouched")
        #expect(logAfter.count == logBefore.count + 1, "it only appended")
        #expect(c.storage[leader]!.truncations == 0)
        // The follower side did give way: n1's stale suffix was replaced.
        #expect(c.storage["n1"]!.truncations >= 1)
        #expect(c.log("n1") == logAfter)
        #expect(c.values("n1") == ["a1", "a2", "b1", "b2", "c1"])
    }

    @Test("each new leader's log only grows during its term, across several leader changes")
    func everyLeaderOnlyAppends() throws {
        let c = TestCluster(voters: 5)
        c.elect("n1")
        for round in 1...4 {
            let leader = try #require(c.leader)
            let term = c[leader].term
            let start = c.log(leader)
            for k in 1...3 { try c.propose(leader, "r\(round)-\(k)") }
            c.stabilize()
            c.tickAll(Self.E)
            #expect(c[leader].term == term && c[leader].role == .leader)
            let now = c.log(leader)
            #expect(Array(now.prefix(start.count)) == start)
            #expect(now.count == start.count + 3)
            // Hand over to the next node and go again.
            let next = c.ids[(c.ids.firstIndex(of: leader)! + 1) % c.ids.count]
            try c.transferLeadership(leader, to: next)
            c.stabilize()
            #expect(c.leader == next)
        }
        c.ids.forEach { #expect(c.storage[$0]!.truncations == 0) }
    }
}
