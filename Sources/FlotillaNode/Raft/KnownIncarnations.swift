import NodeCore
import RaftCore
import Synchronization

/// The incarnation this node's membership records for each member, published by the driver
/// whenever the membership changes and read by the peer transport's admission check at every
/// handshake: a peer presenting another incarnation of a member's id is refused (its data is
/// gone; see `Incarnation`).
///
/// Only a membership that records this node itself, as the incarnation it is, is a judge. A
/// node added (or added back by `flotilla replace`) catches up from a snapshot or entries older
/// than its addition: that membership can record the previous incarnation of a member replaced
/// since, the leader among them, and refusing it would cut the node off from the very entries
/// that bring it up to date. Until it sees itself, it admits every peer that proves the cluster
/// secret; the members that do judge still refuse an amnesiac.
final class KnownIncarnations: Sendable {
    private struct State {
        var recorded: [NodeID: UInt64] = [:]
        var judging = false
    }

    private let me: NodeID
    private let myIncarnation: UInt64
    private let state = Mutex(State())

    init(me: NodeID, incarnation: UInt64) {
        self.me = me
        myIncarnation = incarnation
    }

    /// Records `membership`'s incarnations; returns the members whose recorded one changed (their
    /// connections must be dropped so the next handshake is checked against the new one).
    func update(from membership: Membership) -> [NodeID] {
        var next: [NodeID: UInt64] = [:]
        for id in membership.ids { if let inc = membership.incarnation(of: id) { next[id] = inc } }
        let judging = next[me] == myIncarnation
        return state.withLock { s in
            let changed = judging ? s.recorded.filter { next[$0.key] != nil && next[$0.key] != $0.value }.keys.sorted() : []
            s.recorded = next
            s.judging = judging
            return changed
        }
    }

    /// Why `peer` presenting `incarnation` is refused, or nil.
    func refusal(peer: NodeID, incarnation: UInt64) -> String? {
        guard let expected = state.withLock({ $0.judging ? $0.recorded[peer] : nil }), expected != incarnation else { return nil }
        return Incarnation.amnesia(peer, known: expected, presented: incarnation)
    }
}
