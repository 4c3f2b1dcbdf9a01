import NodeCore
import RaftCore
import Testing
@testable import FlotillaNode

/// Who the peer transport admits: a peer presenting another incarnation than the membership
/// records is refused, but only by a membership that records this node as the incarnation it is.
@Suite("Known incarnations")
struct KnownIncarnationsTests {
    static func membership(_ members: [(NodeID, UInt64)], learners: Set<NodeID> = []) -> Membership {
        Membership(members.map { id, inc in
            Member(id: id, isVoter: !learners.contains(id),
                   address: MemberAddress(raft: "127.0.0.1:1", admin: "127.0.0.1:2", slots: 1, incarnation: inc).encoded)
        })
    }

    @Test func aMemberThatSeesItselfRefusesAnotherIncarnationOfAPeer() {
        let known = KnownIncarnations(me: "n1", incarnation: 11)
        #expect(known.update(from: Self.membership([("n1", 11), ("n2", 22), ("n3", 33)])).isEmpty)
        #expect(known.refusal(peer: "n2", incarnation: 22) == nil)
        let refusal = known.refusal(peer: "n2", incarnation: 99)
        #expect(refusal?.contains("flotilla replace n2") == true, "\(refusal ?? "admitted")")
        #expect(known.refusal(peer: "n9", incarnation: 5) == nil, "a peer the membership does not name is not judged here")
        // n2 replaced: its connections are dropped so the next handshake is checked again.
        #expect(known.update(from: Self.membership([("n1", 11), ("n2", 23), ("n3", 33)])) == ["n2"])
        #expect(known.refusal(peer: "n2", incarnation: 22) != nil)
    }

    /// A node added back by `replace` that installs a snapshot from before n3 was replaced sees
    /// n3's old incarnation, and its own old one: it must still hear the leader n3 is now.
    @Test func aMembershipFromBeforeThisNodeWasAddedDoesNotJudge() {
        let known = KnownIncarnations(me: "n1", incarnation: 12)
        #expect(known.update(from: Self.membership([("n1", 11), ("n2", 22), ("n3", 33)])).isEmpty)
        #expect(known.refusal(peer: "n3", incarnation: 34) == nil)
        #expect(known.update(from: Self.membership([("n2", 22), ("n3", 34)])).isEmpty)
        #expect(known.refusal(peer: "n3", incarnation: 34) == nil)
        // Caught up: the membership records n1 as it is, and judges from then on.
        #expect(known.update(from: Self.membership([("n1", 12), ("n2", 22), ("n3", 34)], learners: ["n1"])).isEmpty)
        #expect(known.refusal(peer: "n3", incarnation: 33) != nil)
        #expect(known.refusal(peer: "n3", incarnation: 34) == nil)
    }
}
