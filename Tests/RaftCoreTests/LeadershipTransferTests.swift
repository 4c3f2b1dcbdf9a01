import RaftCore
import Testing

/// Leadership transfer (dissertation §3.10): the leader catches the target up, then sends it
/// `TimeoutNow`; the target campaigns at once, skipping pre-vote, and voters honour it even
/// inside their leader lease.
@Suite("Leadership transfer")
struct LeadershipTransferTests {
    static let E = TestCluster.electionTicks

    @Test("to an up-to-date follower: the target wins the next term at once, without a pre-vote or a tick")
    func toUpToDateFollower() throws {
        let c = TestCluster()
        c.elect("n1")
        c.proposeAndCommit("n1", count: 2)
        let term = c["n1"].term
        let mark = c.sentCount
        let clock = c.now

        try c.transferLeadership("n1", to: "n2")
        #expect(c.events(of: "n1").contains(.transferStarted(to: "n2")))
        #expect(c.sent(since: mark).map(\.body.name) == ["TimeoutNow"], "already caught up: TimeoutNow goes first")
        c.stabilize()

        #expect(c.now == clock, "no tick was needed")
        #expect(c.leader == "n2")
        #expect(c["n2"].term == term + 1)
        #expect(c["n1"].role == .follower && c["n1"].leader == "n2")
        #expect(c["n3"].leader == "n2")
        #expect(!c.sent(since: mark).contains { $0.body.name == "PreVote" })
        #expect(c.sent(since: mark).contains { $0.from == "n2" && $0.body == .vote(lastIndex: 4, lastTerm: term, transfer: true) })
        c.proposeAndCommit("n2", count: 1, prefix: "after")
        #expect(c.values("n1") == ["v1", "v2", "after1"])
    }

    @Test("to a lagging follower: it is caught up first, then told to time out")
    func toLaggingFollower() throws {
        let c = TestCluster()
        c.elect("n1")
        c.isolate("n3")
        c.proposeAndCommit("n1", count: 5)
        c.heal()
        let last = c["n1"].lastIndex
        #expect(c["n3"].lastIndex < last)
        let mark = c.sentCount

        try c.transferLeadership("n1", to: "n3")
        #expect(!c.sent(since: mark).contains { $0.body.name == "TimeoutNow" }, "not before n3 has caught up")
        let rounds = try #require(c.tick(until: { $0.leader == "n3" }, within: Self.E))
        #expect(rounds < Self.E)

        let after = c.sent(since: mark)
        let timeoutNow = try #require(after.firstIndex { $0.body.name == "TimeoutNow" })
        #expect(after[timeoutNow].from == "n1" && after[timeoutNow].to == "n3")
        let caughtUp = after[..<timeoutNow].contains { m in
            if m.from == "n3", case .appendResponse(true, let index, _, _) = m.body { return index == last }
            return false
        }
        #expect(caughtUp, "n3 acknowledged the whole log before TimeoutNow")
        #expect(after[..<timeoutNow].contains { $0.to == "n3" && !$0.entries.isEmpty }, "the leader sent n3 the entries it lacked")
        #expect(c.values("n3") == ["v1", "v2", "v3", "v4", "v5"])
        #expect(!after.contains { $0.body.name == "PreVote" })
    }

    @Test("proposals and membership changes are refused while a transfer is in progress")
    func proposalsRefusedDuringTransfer() throws {
        let c = TestCluster()
        c.elect("n1")
        c.isolate("n3")
        try c.transferLeadership("n1", to: "n3")
        #expect(c["n1"].transferTarget == "n3")
        #expect(throws: RaftError.transferInProgress(to: "n3")) { try c.propose("n1", "x") }
        #expect(throws: RaftError.transferInProgress(to: "n3")) {
            try c.proposeConfChange("n1", .remove("n2"))
        }
        #expect(c["n1"].lastIndex == 2, "nothing was appended")
    }

    @Test("a transfer to an unreachable target is abandoned after an election timeout")
    func transferAbortedWhenTargetUnreachable() throws {
        let c = TestCluster()
        c.elect("n1")
        let term = c["n1"].term
        c.isolate("n3")
        try c.transferLeadership("n1", to: "n3")

        let rounds = try #require(c.tick(until: { $0["n1"].transferTarget == nil }, within: 2 * Self.E))
        #expect(rounds <= Self.E)
        #expect(c.events(of: "n1").contains { if case .transferAborted(to: "n3", _) = $0 { true } else { false } })
        #expect(c.leader == "n1" && c["n1"].term == term, "n1 keeps leading")
        // Proposals are accepted again.
        let e = try c.propose("n1", "after-abort")
        c.stabilize()
        #expect(c["n2"].commitIndex >= e.index)
    }

    @Test("a transfer to a learner, an unknown node, or from a follower is refused")
    func invalidTransfersRefused() throws {
        let c = TestCluster()
        c.elect("n1")
        c.addNode("n4")
        try c.proposeConfChange("n1", .addLearner("n4", address: ""))
        c.stabilize()
        #expect(c["n1"].membership.learners == ["n4"])

        #expect(throws: RaftError.notVoter("n4")) { try c.transferLeadership("n1", to: "n4") }
        #expect(throws: RaftError.unknownNode("n9")) { try c.transferLeadership("n1", to: "n9") }
        #expect(throws: RaftError.notLeader(leader: "n1")) { try c.transferLeadership("n2", to: "n3") }
        #expect(c["n1"].transferTarget == nil)
        #expect(!c.events(of: "n1").contains { if case .transferStarted = $0 { true } else { false } })
        c.tickAll(3 * Self.E)
        #expect(c.leader == "n1")
    }
}
