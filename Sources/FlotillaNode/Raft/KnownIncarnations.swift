import NodeCore
import RaftCore
import Synchronization

/// The incarnation this node's membership records for each member, published by the driver
/// whenever the membership changes and read by the peer transport's admission check at every
/// handshake: a peer presenting another incarnation of a member's id is refused (its data is
/// gone; see `Incarnation`).
final class KnownIncarnations: Sendable {
    private let known = Mutex<[NodeID: UInt64]>([:])

    /// Records `membership`'s incarnations; returns the members whose recorded one changed (their
    /// connections must be dropped so the next handshake is checked against the new one).
    func update(from membership: Membership) -> [NodeID] {
        var next: [NodeID: UInt64] = [:]
        for id in membership.ids { if let inc = membership.incarnation(of: id) { next[id] = inc } }
        return known.withLock { current in
            let changed = current.filter { next[$0.key] != nil && next[$0.key] != $0.value }.keys.sorted()
            current = next
            return changed
        }
    }

    /// Why `peer` presenting `incarnation` is refused, or nil.
    func refusal(peer: NodeID, incarnation: UInt64) -> String? {
        guard let expected = known.withLock({ $0[peer] }), expected != incarnation else { return nil }
        return Incarnation.amnesia(peer, known: expected, presented: incarnation)
    }
}
