import RaftCore
import Testing

/// Raft paper, Figure 3 — Log Matching: if two logs contain an entry with the same index and
/// term, the logs are identical in all entries up through that index. Here every entry also
/// carries a chained hash, so agreeing on one hash means agreeing on the whole prefix.
@Suite("Figure 3: Log Matching")
struct LogMatchingTests {
    static let E = TestCluster.electionTicks

    /// Builds divergent logs: two deposed leaders each hold uncommitted entries of their own term.
    static func divergedCluster() throws -> TestCluster {
        let c = TestCluster(voters: 5)
        c.elect("n1")
        c.proposeAndCommit("n1", count: 2, prefix: "base")

        // n1 and n2 are cut off; n1 writes entries that only n2 gets.
        c.partition(["n1", "n2"], ["n3", "n4", "n5"])
        try c.propose("n1", "left1")
        try c.propose("n1", "left2")
        c.stabilize()

        // The majority elects a leader, which writes entries of its own term...
        c.tick(["n3", "n4", "n5"], until: { c in c.leaders.contains { ["n3", "n4", "n5"].contains($0) } }, within: 10 * Self.E)
        let second = try #require(c.leaders.first { ["n3", "n4", "n5"].contains($0) })
        c.proposeAndCommit(second, count: 1, prefix: "right")
        // ...then is cut off too, with one more entry that reaches nobody.
        c.isolate(second)
        try c.propose(second, "orphan")
        return c
    }

    @Test("wherever two diverged logs share an index and a term, they share the whole prefix")
    func divergedLogsStillMatchWhereTermsAgree() throws {
        let c = try Self.divergedCluster()
        // The logs really do disagree somewhere...
        let disagree = c.ids.contains { a in
            c.ids.contains { b in
                (1...min(c[a].lastIndex, c[b].lastIndex)).contains { c[a].term(at: $0) != c[b].term(at: $0) }
            }
        }
        #expect(disagree)
        // ...and still match wherever index and term agree.
        c.checkLogMatching()

        // Everyone but the orphan's leader reconnects and settles on a third leader,
        // which overwrites the left side's uncommitted entries.
        let second = try #require(c.leaders.first { ["n3", "n4", "n5"].contains($0) })
        c.heal()
        c.isolate(second)
        c.tick(until: { c in c.leaders.contains { $0 != second && c[$0].term > c[second].term } }, within: 10 * Self.E)
        c.stabilize()
        c.checkLogMatching()

        // The orphan's leader comes back too.
        c.heal()
        c.tickAll(4 * Self.E)
        let leader = try #require(c.leader)
        c.proposeAndCommit(leader, count: 1, prefix: "final")
        c.checkLogMatching()
        for id in c.ids {
            #expect(c.log(id) == c.log(leader))
            #expect(c[id].commitHash == c[leader].commitHash)
        }
        #expect(!c.anyNodeApplied("left1") && !c.anyNodeApplied("orphan"))
    }

    @Test("the hash of the last entry is the chain over the whole log from the genesis hash")
    func chainedHashCoversThePrefix() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 5)
        for id in c.ids {
            var h = Entry.genesisHash
            for e in c.log(id) {
                #expect(e.chains(onto: h), "\(id): entry \(e.index) does not chain")
                h = Entry.chainHash(previous: h, term: e.term, kind: e.kind, data: e.data)
                #expect(e.hash == h)
            }
            #expect(c[id].commitHash == h)
            #expect(c[id].commitHash == c["n1"].commitHash)
        }
        // Changing one early entry changes every hash after it.
        let log = c.log("n1")
        var h = Entry.genesisHash
        for e in log {
            let data = e.index == 3 ? Array("tampered".utf8) : e.data
            h = Entry.chainHash(previous: h, term: e.term, kind: e.kind, data: data)
            if e.index >= 3 { #expect(h != e.hash) }
        }
    }

    @Test("a follower refuses entries that do not chain onto its log, and says so")
    func forgedAppendIsRefused() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 2)
        c.violationsExpected = true
        let last = c["n2"].lastIndex
        let term = c["n1"].term
        // Same index and term as a genuine next entry, but hashed onto the wrong predecessor.
        let forged = Entry(index: last + 1, term: term, kind: .normal, data: Array("forged".utf8), previousHash: 12345)
        c.inject(Message(from: "n1", to: "n2", term: term,
                         body: .append(prevIndex: last, prevTerm: c["n2"].lastTerm, entries: [forged], commit: c["n1"].commitIndex)))

        #expect(c["n2"].lastIndex == last, "the forged entry was not appended")
        #expect(c.events(of: "n2").contains { if case .invariantViolation = $0 { true } else { false } })
        // A well-formed entry at the same place is accepted.
        c.violationsExpected = false
        try c.propose("n1", "genuine")
        c.stabilize()
        #expect(c["n2"].entry(at: last + 1)?.text == "genuine")
        c.checkLogMatching()
    }
}
