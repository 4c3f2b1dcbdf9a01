/// `POST /v1/members`: add a node as a learner.
public struct JoinRequest: Codable, Sendable, Equatable {
    public var id: String
    public var raftAddress: String
    public var adminAddress: String
    /// Tasks the node runs at once.
    public var slots: Int?
    /// The incarnation the joining node's storage drew (16 hex digits): the membership records it,
    /// and peers refuse the id under any other.
    public var incarnation: String?

    public init(id: String, raftAddress: String, adminAddress: String, slots: Int? = nil, incarnation: String? = nil) {
        self.id = id
        self.raftAddress = raftAddress
        self.adminAddress = adminAddress
        self.slots = slots
        self.incarnation = incarnation
    }
}

/// `GET /v1/members`.
public struct MemberList: Codable, Sendable, Equatable {
    public var members: [MemberInfo]
    public var leader: String?
    /// Joins waiting for an operator's approval (only the leader of a cluster started with --approve-joins holds any).
    public var pending: [JoinRequest]?

    public init(members: [MemberInfo], leader: String?, pending: [JoinRequest]? = nil) {
        self.members = members
        self.leader = leader
        self.pending = pending
    }
}

/// `POST /v1/bootstrap`: make an uninitialized node (started without --peers or --join) a founder.
/// Every founder must be sent the same member list.
public struct BootstrapRequest: Codable, Sendable, Equatable {
    public var members: [MemberInfo]

    public init(members: [MemberInfo]) { self.members = members }
}

/// `POST /v1/leader`: hand leadership to `to`, or to the most caught-up voter when absent.
public struct TransferRequest: Codable, Sendable, Equatable {
    public var to: String?

    public init(to: String? = nil) { self.to = to }
}

/// A short answer to an operation that changed something.
public struct OperationResult: Codable, Sendable, Equatable {
    public var ok: Bool
    public var message: String

    public init(ok: Bool = true, message: String) {
        self.ok = ok
        self.message = message
    }
}

/// `GET /v1/log/hash?index=N`.
public struct LogHash: Codable, Sendable, Equatable {
    public var index: UInt64
    public var term: UInt64
    public var hash: String

    public init(index: UInt64, term: UInt64, hash: String) {
        self.index = index
        self.term = term
        self.hash = hash
    }
}

/// One server-sent event of `GET /v1/events`.
public struct NodeEvent: Codable, Sendable, Equatable {
    public var seq: UInt64
    /// Milliseconds since the node started.
    public var atMs: UInt64
    public var node: String
    /// role, term, leader, membership, task, snapshot, fault, invariant, storage.
    public var kind: String
    public var term: UInt64
    public var message: String

    public init(seq: UInt64, atMs: UInt64, node: String, kind: String, term: UInt64, message: String) {
        self.seq = seq
        self.atMs = atMs
        self.node = node
        self.kind = kind
        self.term = term
        self.message = message
    }
}
