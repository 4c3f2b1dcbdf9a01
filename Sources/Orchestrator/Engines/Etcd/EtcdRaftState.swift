import FlotillaAPI

/// What one etcd member's Raft node says of itself: `raft.status` in `GET /debug/vars`, one
/// consistent reading of the node's own state (term, vote, leader, role and, on a leader, each
/// follower's progress), taken inside the Raft node.
///
/// Why not the maintenance status alone: its `raftTerm` is the term of the last entry the member
/// *applied*, and its leader is read separately. A member that has just won term 4 and not yet
/// applied an entry of it reports itself leader with `raftTerm` 3, so a monitor reading only that
/// sees two leaders of term 3 (seen in a chaos run: pause the leader, let another win, kill it).
/// Here the term is the node's current term, read together with its role.
///
/// Ids are hex (`"e76f641d8c8d596b"`), `"0"` for none; counts are JSON numbers.
public struct EtcdRaftState: Decodable, Sendable, Equatable {
    public var id: EtcdMemberID?
    public var term: UInt64
    public var vote: EtcdMemberID?
    public var lead: EtcdMemberID?
    /// `StateFollower`, `StatePreCandidate`, `StateCandidate` or `StateLeader`.
    public var raftState: String
    public var commit: UInt64
    public var applied: UInt64
    /// On a leader, each member's replication progress (itself included); empty elsewhere.
    public var progress: [EtcdMemberID: Progress]

    public struct Progress: Decodable, Sendable, Equatable {
        public var match: UInt64
        public var next: UInt64
        /// `StateProbe`, `StateReplicate` or `StateSnapshot`.
        public var state: String

        public init(match: UInt64, next: UInt64, state: String) {
            self.match = match
            self.next = next
            self.state = state
        }

        /// Flotilla's word for the state: probe, replicate or snapshot.
        public var word: String { EtcdRaftState.word(state) }
    }

    public init(id: EtcdMemberID?, term: UInt64, vote: EtcdMemberID? = nil, lead: EtcdMemberID?, raftState: String, commit: UInt64,
                applied: UInt64, progress: [EtcdMemberID: Progress] = [:]) {
        self.id = id
        self.term = term
        self.vote = vote
        self.lead = lead
        self.raftState = raftState
        self.commit = commit
        self.applied = applied
        self.progress = progress
    }

    private enum Keys: String, CodingKey {
        case id, term, vote, lead, raftState, commit, applied, progress
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        func member(_ key: Keys) throws -> EtcdMemberID? {
            try c.decodeIfPresent(String.self, forKey: key).flatMap { EtcdMemberID(hex: $0) }
        }
        id = try member(.id)
        term = try c.decode(UInt64.self, forKey: .term)
        vote = try member(.vote)
        lead = try member(.lead)
        raftState = try c.decode(String.self, forKey: .raftState)
        commit = try c.decodeIfPresent(UInt64.self, forKey: .commit) ?? 0
        applied = try c.decodeIfPresent(UInt64.self, forKey: .applied) ?? 0
        var byID: [EtcdMemberID: Progress] = [:]
        for (hex, p) in try c.decodeIfPresent([String: Progress].self, forKey: .progress) ?? [:] {
            guard let id = EtcdMemberID(hex: hex) else {
                throw DecodingError.dataCorruptedError(forKey: .progress, in: c, debugDescription: "not a member id: \(hex.prefix(40))")
            }
            byID[id] = p
        }
        progress = byID
    }

    /// The role in Flotilla's words; Raft's state does not tell a learner, the member list does.
    public func role(learner: Bool) -> NodeRole {
        switch raftState {
        case "StateLeader": .leader
        case "StateCandidate": .candidate
        case "StatePreCandidate": .preCandidate
        case "StateFollower": learner ? .learner : .follower
        default: .unknown(raftState)
        }
    }

    static func word(_ state: String) -> String {
        switch state {
        case "StateProbe": "probe"
        case "StateReplicate": "replicate"
        case "StateSnapshot": "snapshot"
        default: state
        }
    }
}

/// The part of `GET /debug/vars` Flotilla reads; the rest (memstats, cmdline) is skipped.
struct EtcdDebugVars: Decodable {
    var raft: EtcdRaftState?

    private enum Keys: String, CodingKey {
        case raft = "raft.status"
    }

    init(from decoder: any Decoder) throws {
        raft = try decoder.container(keyedBy: Keys.self).decodeIfPresent(EtcdRaftState.self, forKey: .raft)
    }
}
