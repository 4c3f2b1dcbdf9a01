/// A Raft message between two nodes. `term` is the sender's term, except for pre-votes,
/// which carry the term the sender would campaign in.
public struct Message: Sendable, Equatable {
    public var from: NodeID
    public var to: NodeID
    public var term: UInt64
    public var body: Body

    public init(from: NodeID, to: NodeID, term: UInt64, body: Body) {
        self.from = from
        self.to = to
        self.term = term
        self.body = body
    }

    public enum Body: Sendable, Equatable {
        case preVote(lastIndex: UInt64, lastTerm: UInt64)
        case preVoteResponse(granted: Bool)
        /// `transfer` marks a campaign started by `TimeoutNow`, which voters honour even inside a leader lease.
        case vote(lastIndex: UInt64, lastTerm: UInt64, transfer: Bool)
        case voteResponse(granted: Bool)
        case append(prevIndex: UInt64, prevTerm: UInt64, entries: [Entry], commit: UInt64)
        /// On success `index` is the follower's new match; on rejection it is the rejected `prevIndex`,
        /// and `hintIndex`/`hintTerm` point the leader at the last entry that may still match.
        case appendResponse(success: Bool, index: UInt64, hintIndex: UInt64, hintTerm: UInt64)
        /// `context` is non-zero when the heartbeat confirms leadership for a ReadIndex request.
        case heartbeat(commit: UInt64, context: UInt64)
        case heartbeatResponse(context: UInt64)
        /// One chunk of a snapshot, starting at byte `offset` of a snapshot of `totalSize` bytes.
        case snapshot(metadata: SnapshotMetadata, offset: Int, totalSize: Int, chunk: [UInt8])
        /// The follower holds `received` bytes of the snapshot at `index`; the leader resumes there.
        case snapshotResponse(index: UInt64, received: Int)
        case timeoutNow
    }

    /// True for the messages only a leader sends.
    public var isFromLeader: Bool {
        switch body {
        case .append, .heartbeat, .snapshot, .timeoutNow: true
        default: false
        }
    }
}

extension Message.Body {
    /// A stable one-byte tag per kind (the wire encoding uses the same numbers).
    public var tag: UInt8 {
        switch self {
        case .preVote: 1
        case .preVoteResponse: 2
        case .vote: 3
        case .voteResponse: 4
        case .append: 5
        case .appendResponse: 6
        case .heartbeat: 7
        case .heartbeatResponse: 8
        case .snapshot: 9
        case .snapshotResponse: 10
        case .timeoutNow: 11
        }
    }

    /// A short name for traces and logs.
    public var name: String {
        switch self {
        case .preVote: "PreVote"
        case .preVoteResponse: "PreVoteResp"
        case .vote: "Vote"
        case .voteResponse: "VoteResp"
        case .append: "Append"
        case .appendResponse: "AppendResp"
        case .heartbeat: "Heartbeat"
        case .heartbeatResponse: "HeartbeatResp"
        case .snapshot: "Snapshot"
        case .snapshotResponse: "SnapshotResp"
        case .timeoutNow: "TimeoutNow"
        }
    }
}
