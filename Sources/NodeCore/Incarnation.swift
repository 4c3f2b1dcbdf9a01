import RaftCore

/// A member is an id plus an incarnation: a random number its storage draws when it first
/// stores anything, and keeps for as long as that storage lives. A node whose data directory
/// was wiped draws a new one, so its peers can tell it from the member they knew, whose votes
/// and acknowledgements it no longer holds. etcd follows the same rule: a member that lost
/// its data is removed and added back empty (`flotilla replace`).
public enum Incarnation {
    /// The form incarnations take in addresses, logs and the admin API: 16 hex digits.
    public static func text(_ incarnation: UInt64) -> String {
        let hex = String(incarnation, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    /// Parses `text(_:)`'s form; nil for anything else.
    public static func parse<S: StringProtocol>(_ text: S) -> UInt64? {
        guard !text.isEmpty, text.count <= 16 else { return nil }
        return UInt64(text, radix: 16)
    }

    /// What the operator reads when a member comes back with storage it did not have.
    public static func amnesia(_ id: NodeID, known: UInt64, presented: UInt64) -> String {
        "\(id) came back as incarnation \(text(presented)), but the cluster knows it as \(text(known)): "
            + "its data is gone, and with it the votes and writes it acknowledged. It may not rejoin as it is: "
            + "run `flotilla replace \(id)` (remove it, wipe it, add it back as a learner)"
    }
}

extension Membership {
    /// The incarnation the membership records for `id`; nil when `id` is no member or none is recorded.
    public func incarnation(of id: NodeID) -> UInt64? {
        guard let m = members[id], let inc = MemberAddress(m.address)?.incarnation, inc != 0 else { return nil }
        return inc
    }

    /// Why a peer that presents itself as `peer` with `incarnation` may not exchange Raft
    /// messages with this node, or nil when it may: refused only when the membership records
    /// another incarnation for that id. An id the membership does not name is let through
    /// (a learner being added, a leader this node has not heard of yet); Raft itself ignores
    /// what such a node may not say.
    public func refusal(peer: NodeID, incarnation: UInt64) -> String? {
        guard let known = self.incarnation(of: peer), known != incarnation else { return nil }
        return Incarnation.amnesia(peer, known: known, presented: incarnation)
    }
}
