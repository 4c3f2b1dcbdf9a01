import BinaryCoding

/// One member of the cluster as Raft knows it. `address` is opaque to Raft: the node
/// runtime stores its peer and admin addresses there so every replica learns them.
public struct Member: Sendable, Equatable {
    public var id: NodeID
    public var isVoter: Bool
    public var address: String

    public init(id: NodeID, isVoter: Bool, address: String = "") {
        self.id = id
        self.isVoter = isVoter
        self.address = address
    }
}

/// The cluster configuration: voters decide elections and commitment, learners only replicate.
public struct Membership: Sendable, Equatable {
    public private(set) var members: [NodeID: Member] {
        didSet { reindex() }
    }
    /// Sorted ids, kept alongside `members` because elections and commits read them constantly.
    public private(set) var voters: [NodeID] = []
    public private(set) var learners: [NodeID] = []
    public private(set) var ids: [NodeID] = []

    public init(_ members: [Member] = []) {
        self.members = Dictionary(members.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        reindex()
    }

    private mutating func reindex() {
        ids = members.keys.sorted()
        voters = ids.filter { members[$0]!.isVoter }
        learners = ids.filter { !members[$0]!.isVoter }
    }

    public var isEmpty: Bool { members.isEmpty }

    public func isVoter(_ id: NodeID) -> Bool { members[id]?.isVoter ?? false }
    public func contains(_ id: NodeID) -> Bool { members[id] != nil }

    /// Votes needed to win an election or commit an entry.
    public var quorum: Int { voters.count / 2 + 1 }

    /// Why `change` cannot be applied to this membership, or nil when it can.
    public func rejection(of change: ConfChange) -> String? {
        switch change {
        case .bootstrap(let m):
            return m.voters.isEmpty ? "a bootstrap membership needs at least one voter" : nil
        case .addLearner(let id, _):
            return members[id] == nil ? nil : "\(id) is already a member"
        case .promote(let id):
            guard let m = members[id] else { return "\(id) is not a member" }
            return m.isVoter ? "\(id) is already a voter" : nil
        case .remove(let id):
            guard let m = members[id] else { return "\(id) is not a member" }
            return m.isVoter && voters.count == 1 ? "cannot remove the last voter" : nil
        }
    }

    /// The membership after `change`. Invalid changes leave it as it is, so replaying a
    /// committed change (after a restart) is harmless.
    public func applying(_ change: ConfChange) -> Membership {
        guard rejection(of: change) == nil else { return self }
        var next = self
        switch change {
        case .bootstrap(let m): next = m
        case .addLearner(let id, let address): next.members[id] = Member(id: id, isVoter: false, address: address)
        case .promote(let id): next.members[id]?.isVoter = true
        case .remove(let id): next.members[id] = nil
        }
        return next
    }

    public func encode(into w: inout ByteWriter) {
        let sorted = members.values.sorted { $0.id < $1.id }
        w.write(varint: sorted.count)
        for m in sorted {
            w.write(m.id)
            w.write(m.isVoter)
            w.write(m.address)
        }
    }

    public static func decode(from r: inout ByteReader) throws(DecodingError) -> Membership {
        let n = try r.readCount()
        var members: [Member] = []
        for _ in 0..<n {
            let id = try r.readString()
            let voter = try r.readBool()
            let address = try r.readString()
            members.append(Member(id: id, isVoter: voter, address: address))
        }
        return Membership(members)
    }
}

/// A single-server membership change, carried by a `.config` entry.
public enum ConfChange: Sendable, Equatable {
    /// The initial membership: entry 1 of every freshly bootstrapped log.
    case bootstrap(Membership)
    case addLearner(NodeID, address: String)
    case promote(NodeID)
    case remove(NodeID)

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case .bootstrap(let m):
            w.write(UInt8(0))
            m.encode(into: &w)
        case .addLearner(let id, let address):
            w.write(UInt8(1))
            w.write(id)
            w.write(address)
        case .promote(let id):
            w.write(UInt8(2))
            w.write(id)
        case .remove(let id):
            w.write(UInt8(3))
            w.write(id)
        }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> ConfChange {
        var r = ByteReader(bytes)
        let tag = try r.readByte()
        let change: ConfChange
        switch tag {
        case 0: change = .bootstrap(try Membership.decode(from: &r))
        case 1: change = .addLearner(try r.readString(), address: try r.readString())
        case 2: change = .promote(try r.readString())
        case 3: change = .remove(try r.readString())
        default: throw .unknownTag(offset: 0, tag: tag, type: "ConfChange")
        }
        try r.expectEnd()
        return change
    }

    /// The node the change is about (nil for bootstrap).
    public var subject: NodeID? {
        switch self {
        case .bootstrap: nil
        case .addLearner(let id, _), .promote(let id), .remove(let id): id
        }
    }
}

extension ConfChange: CustomStringConvertible {
    public var description: String {
        switch self {
        case .bootstrap(let m): "bootstrap voters=\(m.voters) learners=\(m.learners)"
        case .addLearner(let id, _): "add learner \(id)"
        case .promote(let id): "promote \(id)"
        case .remove(let id): "remove \(id)"
        }
    }
}
