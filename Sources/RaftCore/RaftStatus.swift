/// The leader's view of one peer, for status pages.
public struct PeerStatus: Sendable, Equatable {
    public var id: NodeID
    public var match: UInt64
    public var next: UInt64
    public var state: ProgressState
    public var isVoter: Bool
    /// Ticks since the leader last heard from the peer.
    public var ticksSinceContact: UInt64
    /// Bytes of a snapshot transfer acknowledged so far, and its size.
    public var snapshotProgress: (sent: Int, total: Int)?

    public static func == (a: PeerStatus, b: PeerStatus) -> Bool {
        a.id == b.id && a.match == b.match && a.next == b.next && a.state == b.state && a.isVoter == b.isVoter
            && a.ticksSinceContact == b.ticksSinceContact && a.snapshotProgress?.sent == b.snapshotProgress?.sent
            && a.snapshotProgress?.total == b.snapshotProgress?.total
    }
}

/// Everything a status page shows about one node, read in one go.
public struct RaftStatus: Sendable, Equatable {
    public var id: NodeID
    public var role: Role
    public var term: UInt64
    public var leader: NodeID?
    public var vote: NodeID?
    public var commit: UInt64
    public var applied: UInt64
    public var lastIndex: UInt64
    public var snapshotIndex: UInt64
    public var commitHash: UInt64
    public var membership: Membership
    public var isVoter: Bool
    public var transferTarget: NodeID?
    /// Filled on the leader only.
    public var peers: [PeerStatus]
}

extension RaftNode {
    public var status: RaftStatus {
        let peers = progress.keys.sorted().map { peer -> PeerStatus in
            let pr = progress[peer]!
            var snap: (Int, Int)?
            if case .snapshot = pr.state, let s = pr.sendingSnapshot { snap = (pr.snapshotAcked, s.data.count) }
            return PeerStatus(id: peer, match: pr.match, next: pr.next, state: pr.state,
                              isVoter: membership.isVoter(peer),
                              ticksSinceContact: ticks - min(ticks, pr.lastContactTick), snapshotProgress: snap)
        }
        return RaftStatus(id: id, role: role, term: term, leader: leader, vote: vote, commit: log.committed,
                          applied: log.applied, lastIndex: log.lastIndex, snapshotIndex: log.snapshot.index,
                          commitHash: commitHash, membership: membership, isVoter: isVoter,
                          transferTarget: leadTransferee, peers: peers)
    }
}

extension RaftNode {
    /// Ticks since the leader last heard from `peer` (nil: not a peer it tracks). Cheaper than
    /// `status` for a leader that asks about every peer after every batch.
    public func ticksSinceContact(of peer: NodeID) -> UInt64? {
        progress[peer].map { ticks - min(ticks, $0.lastContactTick) }
    }
}
