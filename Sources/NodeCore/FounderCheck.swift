import BinaryCoding
import RaftCore

/// How a node with empty storage, named among a new cluster's founders (`--peers`), decides
/// whether it may found that cluster. Empty storage alone cannot tell a first start from a
/// node whose data was wiped; founding again after a wipe would give the cluster a voter that
/// lost every write it acknowledged. So the node asks the other founders first, and founds
/// only when all of them are empty too. Pure: the runtime asks over HTTP, the simulator asks
/// its nodes directly, and both feed the answers to `decide`.
public struct FounderCheck: Sendable {
    /// What a founder said about itself.
    public enum Report: Sendable, Equatable {
        /// It has stored nothing yet. `address` carries its slots and its incarnation.
        case empty(MemberAddress)
        /// It holds a log; this is its current membership.
        case founded(Membership)
    }

    public enum Decision: Sendable, Equatable {
        /// Not enough is known yet: ask these founders again.
        case wait(missing: [NodeID])
        /// Every founder is empty: write this membership as entry 1.
        case found(Membership)
        /// The cluster exists and knows this node as it is now (it never stored anything before):
        /// start empty and let the leader send the log.
        case awaitLeader
        /// This node may not take part: why, and what to do.
        case refuse(String)
    }

    public let me: NodeID
    /// This node's own address, with the incarnation its storage drew.
    public let address: MemberAddress
    /// The founders from `--peers`, this node included, with their configured addresses.
    public let founders: [NodeID: MemberAddress]

    public init(me: NodeID, address: MemberAddress, founders: [NodeID: MemberAddress]) {
        self.me = me
        self.address = address
        self.founders = founders
    }

    /// The founders other than this node, in order: whom to ask.
    public var others: [NodeID] { founders.keys.filter { $0 != me }.sorted() }

    public func decide(_ reports: [NodeID: Report]) -> Decision {
        for id in others {
            guard case .founded(let membership) = reports[id] else { continue }
            guard membership.contains(me) else {
                return .refuse("\(me) is not a member of the cluster \(id) belongs to (it was removed): "
                    + "start it with --join to add it back as a new member, or `flotilla scale +1`")
            }
            if let known = membership.incarnation(of: me), known != address.incarnation {
                return .refuse(Incarnation.amnesia(me, known: known, presented: address.incarnation))
            }
            return .awaitLeader
        }
        var members: [Member] = []
        var missing: [NodeID] = []
        for (id, configured) in founders {
            var a = configured
            if id == me {
                a.slots = address.slots
                a.incarnation = address.incarnation
            } else if case .empty(let reported) = reports[id] {
                a.slots = reported.slots
                a.incarnation = reported.incarnation
            } else {
                missing.append(id)
                continue
            }
            members.append(Member(id: id, isVoter: true, address: a.encoded))
        }
        return missing.isEmpty ? .found(Membership(members)) : .wait(missing: missing.sorted())
    }
}

extension FounderCheck.Report {
    /// The form a report takes on the wire (the peer transport's state frame).
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case .empty(let address):
            w.write(UInt8(0))
            w.write(address.encoded)
        case .founded(let membership):
            w.write(UInt8(1))
            membership.encode(into: &w)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var r = ByteReader(bytes)
        switch try r.readByte() {
        case 0:
            let text = try r.readString()
            guard let address = MemberAddress(text) else { throw .invalid(offset: 1, reason: "not a member address: \(text)") }
            self = .empty(address)
        case 1:
            self = .founded(try Membership.decode(from: &r))
        case let tag:
            throw .unknownTag(offset: 0, tag: tag, type: "founder report")
        }
        try r.expectEnd()
    }
}
