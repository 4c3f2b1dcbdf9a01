/// What a node must have on disk before it sends a vote or an acknowledgement.
public struct HardState: Sendable, Equatable {
    public var term: UInt64
    public var vote: NodeID?
    public var commit: UInt64

    public init(term: UInt64 = 0, vote: NodeID? = nil, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }
}

/// Describes the state a snapshot replaces: everything up to and including `index`.
public struct SnapshotMetadata: Sendable, Equatable {
    public var index: UInt64
    public var term: UInt64
    /// The chained hash of the entry at `index`.
    public var hash: UInt64
    public var membership: Membership

    public init(index: UInt64, term: UInt64, hash: UInt64, membership: Membership) {
        self.index = index
        self.term = term
        self.hash = hash
        self.membership = membership
    }

    public static let empty = SnapshotMetadata(index: 0, term: 0, hash: Entry.genesisHash, membership: Membership())
}

/// A state-machine snapshot plus the Raft metadata that goes with it.
public struct Snapshot: Sendable, Equatable {
    public var metadata: SnapshotMetadata
    public var data: [UInt8]

    public init(metadata: SnapshotMetadata, data: [UInt8]) {
        self.metadata = metadata
        self.data = data
    }
}

/// Everything a node had on disk, given back to `RaftNode` on restart.
public struct PersistentState: Sendable {
    public var hardState: HardState
    public var snapshot: Snapshot?
    /// The entries after the snapshot, in order, without gaps.
    public var entries: [Entry]

    public init(hardState: HardState, snapshot: Snapshot? = nil, entries: [Entry] = []) {
        self.hardState = hardState
        self.snapshot = snapshot
        self.entries = entries
    }

    /// Nothing was ever stored: no term, no vote, no entry, no snapshot.
    public var isEmpty: Bool { hardState.term == 0 && hardState.vote == nil && snapshot == nil && entries.isEmpty }
}
