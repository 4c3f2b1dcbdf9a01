import RaftCore
import Testing

/// `peerDisconnected`: a crashed process closes its sockets at once, so a follower that loses
/// its connection to the leader may start a pre-vote right away instead of waiting out its
/// election timeout. Pre-vote plus check-quorum keep this from disturbing a leader the other
/// nodes still hear.
@Suite("peerDisconnected")
struct PeerDisconnectedTests {
    static let E = TestCluster.electionTicks

    @Test("a follower that loses its leader campaigns within one base election timeout, not lease plus timeout",
          arguments: 1...8 as ClosedRange<UInt64>)
    func campaignsSoon(seed: UInt64) throws {
        let c = TestCluster(seed: seed)
        c.elect("n1")
        c.crash("n1")
        c.peerDisconnected("n2", from: "n1")
        #expect(c["n2"].leader == nil)
        #expect(c.events(of: "n2").last == .leaderChanged(leader: nil, term: c["n2"].term))
        let rounds = try #require(c.tick(["n2"], until: { $0["n2"].role != .follower }, within: Self.E))
        #expect(rounds >= 1)
        #expect(rounds <= Self.E)
        #expect(c["n2"].role == .preCandidate, "it starts with a pre-vote")
    }

    @Test("when the leader's process dies, the followers start the election at once and elect a new leader",
          arguments: 1...8 as ClosedRange<UInt64>)
    func crashFailover(seed: UInt64) throws {
        let c = TestCluster(seed: seed)
        c.elect("n1")
        c.proposeAndCommit("n1", count: 1)
        let term = c["n1"].term
        c.crash("n1")
        c.peerDisconnected("n2", from: "n1")
        c.peerDisconnected("n3", from: "n1")
        let mark = c.sentCount
        // A silent failure could not start an election before a full election timeout.
        let first = try #require(c.tick(until: { c in c.sent(since: mark).contains { $0.body.name == "PreVote" } }, within: Self.E))
        #expect(first <= Self.E)
        // Both followers may start together and split the vote; one still wins soon after.
        c.tick(until: { $0.leader != nil }, within: 3 * Self.E)
        let leader = try #require(c.leader)
        #expect(c[leader].term > term)
        c.proposeAndCommit(leader, count: 1, prefix: "after")
        #expect(c.values("n2") == ["v1", "after1"])
        #expect(c.values("n3") == ["v1", "after1"])
    }

    @Test("a follower that cannot hear a leader the others still hear does not disturb it")
    func healthyLeaderIsNotDisturbed() throws {
        let c = TestCluster()
        c.elect("n1")
        let term = c["n1"].term
        // Only the link from n1 to n2 breaks; n2 notices at once.
        c.cut(from: "n1", to: "n2")
        c.peerDisconnected("n2", from: "n1")
        let mark = c.sentCount
        c.tickAll(5 * Self.E)

        let fromN2 = c.sent(since: mark).filter { $0.from == "n2" }
        #expect(fromN2.contains { $0.body.name == "PreVote" }, "n2 tried")
        #expect(!fromN2.contains { $0.body.name == "Vote" }, "but never got past the pre-vote")
        #expect(!c.sent(since: mark).contains { $0.to == "n2" && $0.isGrantedPreVote })
        #expect(c.leader == "n1")
        #expect(c.ids.allSatisfy { c[$0].term == term }, "no term moved")
        #expect(c["n3"].leader == "n1")
        #expect(c.leadersByTerm().count == 1)

        try c.propose("n1", "still-leading")
        c.heal()
        c.tickAll(2 * Self.E)
        #expect(c["n2"].leader == "n1" && c["n2"].role == .follower)
        #expect(c.values("n2") == ["still-leading"])
    }

    @Test("losing a connection to a peer that is not the leader changes nothing")
    func nonLeaderDisconnectIgnored() {
        let c = TestCluster()
        c.elect("n1")
        let before = c.events(of: "n2").count
        c.peerDisconnected("n2", from: "n3")
        #expect(c["n2"].leader == "n1")
        #expect(c.events(of: "n2").count == before)
        c.tick(["n2"], times: Self.E - 1)
        #expect(c["n2"].role == .follower)
    }
}
