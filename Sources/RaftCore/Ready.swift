/// The work a node hands its runtime after a batch of inputs, to be done in this order:
/// 1. persist `snapshot`, `entries` (replacing any stored entries at or after the first
///    one's index) and `hardState`, and sync them;
/// 2. send `messages`;
/// 3. apply `committed` entries (and restore the state machine from `snapshot` first).
///
/// A `receivedSnapshot` needs none of that at once: the host stores it and decodes its state
/// machine when it can (away from its loop), then calls `RaftNode.installSnapshot`, whose next
/// `Ready` carries it in `snapshot`.
public struct Ready: Sendable {
    public var hardState: HardState?
    /// A snapshot installed from the leader: persisted first, and the state machine restored from it.
    public var snapshot: Snapshot?
    /// A whole snapshot the leader sent, waiting for the host to store it and call `installSnapshot`.
    public var receivedSnapshot: IncomingSnapshot?
    public var entries: [Entry] = []
    public var messages: [Message] = []
    public var committed: [Entry] = []
    public var readStates: [ReadState] = []
    public var events: [RaftEvent] = []

    public var isEmpty: Bool {
        hardState == nil && snapshot == nil && receivedSnapshot == nil && entries.isEmpty && messages.isEmpty
            && committed.isEmpty && readStates.isEmpty && events.isEmpty
    }

    /// True when something must reach disk before `messages` may be sent.
    public var needsSync: Bool { hardState != nil || snapshot != nil || !entries.isEmpty }
}

/// A ReadIndex request that is safe to serve once the state machine has applied `index`.
public struct ReadState: Sendable, Equatable {
    public var context: UInt64
    public var index: UInt64
}

/// A node's role.
public enum Role: String, Sendable, CaseIterable {
    case follower
    case preCandidate = "pre-candidate"
    case candidate
    case leader
}

/// Something that changed inside a node; the runtime turns these into log lines and API events.
public enum RaftEvent: Sendable, Equatable {
    case roleChanged(from: Role, to: Role, term: UInt64)
    case leaderChanged(leader: NodeID?, term: UInt64)
    case membershipChanged(Membership, change: String)
    case snapshotInstalled(index: UInt64, term: UInt64)
    case transferStarted(to: NodeID)
    case transferAborted(to: NodeID, reason: String)
    /// The leader stepped down because it could not hear from a quorum.
    case checkQuorumFailed(term: UInt64)
    /// A follower answered that its log ends at `to`, below the `from` it had acknowledged: its
    /// disk lost entries it had synced. The leader resends from where the follower really is.
    case followerRegressed(peer: NodeID, from: UInt64, to: UInt64)
    /// The node noticed a broken invariant; always a bug or corruption.
    case invariantViolation(String)
}

/// Why an operation on a node was refused.
public enum RaftError: Error, Sendable, Equatable, CustomStringConvertible {
    case notLeader(leader: NodeID?)
    case transferInProgress(to: NodeID)
    case configChangePending(index: UInt64)
    case invalidConfChange(String)
    case unknownNode(NodeID)
    case notVoter(NodeID)
    case snapshotOutOfRange(requested: UInt64, applied: UInt64)

    public var description: String {
        switch self {
        case .notLeader(let l): l.map { "not the leader; the leader is \($0)" } ?? "not the leader; no leader is known"
        case .transferInProgress(let to): "leadership is being transferred to \(to)"
        case .configChangePending(let i): "a membership change (entry \(i)) is still pending"
        case .invalidConfChange(let why): "invalid membership change: \(why)"
        case .unknownNode(let id): "\(id) is not a member"
        case .notVoter(let id): "\(id) is not a voter"
        case .snapshotOutOfRange(let r, let a): "cannot snapshot at \(r): only \(a) entries are applied"
        }
    }
}
