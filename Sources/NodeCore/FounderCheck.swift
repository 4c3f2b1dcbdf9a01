import BinaryCoding
import RaftCore

/// How a node with empty storage, named among a new cluster's founders (`--peers`), decides
/// whether it may found that cluster. Empty storage alone cannot tell a first start from a
/// node whose data was wiped; founding again after a wipe would give the cluster a voter that
/// lost every write it acknowledged. So the node asks the other founders first, and goes on
/// only when all of them are empty too.
///
/// Only the first founder (the lowest id) then writes entry 1, the founding membership; the
/// others start empty and take it from its log. Entry 1 carries what each founder reported
/// (slots, incarnation), and what one founder heard may be from before another restarted with
/// other `--slots` or a wiped disk: two founders each writing their own entry 1 at index 1,
/// term 1 could write different ones, which breaks log matching at the very first entry. One
/// writer cannot disagree with itself. One writer also needs every founder to agree on who is
/// first and on what entry 1 holds, so each report carries the founder set its sender was
/// started with, and founders started with different `--peers` found nothing until they agree.
/// Pure: the runtime asks over HTTP and the peer transport, the simulator over its network, and
/// both feed the answers to `decide`.
public struct FounderCheck: Sendable {
    /// What a founder said about itself.
    public enum Report: Sendable, Equatable {
        /// It has stored nothing yet. The address carries its slots and its incarnation;
        /// `founders` is the set it was started with (nil from a node that does not say:
        /// one from before founder sets were compared, or one started without `--peers`).
        case empty(MemberAddress, founders: FounderSet? = nil)
        /// It holds a log; this is its current membership (empty while the entry that holds
        /// the founding membership is stored but not yet known to be committed).
        case founded(Membership)
    }

    public enum Decision: Sendable, Equatable {
        /// Not enough is known yet: ask these founders again.
        case wait(missing: [NodeID])
        /// Every founder is empty and this node is the first founder: write this membership as entry 1.
        case found(Membership)
        /// The cluster exists and knows this node as it is now (it never stored anything before):
        /// start empty and let the leader send the log.
        case awaitLeader
        /// Every founder is empty and this one is the first founder: start empty and take
        /// the first founder's log (its entry 1, the cluster's founding membership).
        case awaitFounder(NodeID)
        /// This node may not take part: why, and what to do.
        case refuse(String)
        /// A founder was started with other founders (`--peers`) than this node: they would
        /// disagree on who writes entry 1 and on what it holds, so nobody founds. Why, naming
        /// both sets, and what to do. Not final: the check goes on asking, and founding goes on
        /// once that founder is restarted with the same `--peers` as the others.
        case conflict(String)
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
            // A founder that holds entry 1 but has not heard it committed knows no membership
            // yet (Raft applies one on commit): no answer yet, never a cluster without this node.
            guard case .founded(let membership) = reports[id], !membership.isEmpty else { continue }
            guard membership.contains(me) else {
                return .refuse("\(me) is not a member of the cluster \(id) belongs to (voters "
                    + "\(membership.voters.joined(separator: ",")): it was removed, or \(id) founded that cluster without it "
                    + "(started with other --peers): start it with --join to add it as a new member, or `flotilla scale +1`")
            }
            if let known = membership.incarnation(of: me), known != address.incarnation {
                return .refuse(Incarnation.amnesia(me, known: known, presented: address.incarnation))
            }
            return .awaitLeader
        }
        if let conflict = conflict(reports) { return .conflict(conflict) }
        var members: [Member] = []
        var missing: [NodeID] = []
        for (id, configured) in founders {
            var a = configured
            if id == me {
                a.slots = address.slots
                a.incarnation = address.incarnation
            } else if case .empty(let reported, _) = reports[id] {
                a.slots = reported.slots
                a.incarnation = reported.incarnation
            } else {
                missing.append(id)
                continue
            }
            members.append(Member(id: id, isVoter: true, address: a.encoded))
        }
        guard missing.isEmpty else { return .wait(missing: missing.sorted()) }
        return me == first ? .found(Membership(members)) : .awaitFounder(first)
    }

    /// The founder that writes entry 1: the lowest id, the same on every founder's `--peers`.
    public var first: NodeID { founders.keys.min() ?? me }

    /// The set this node was started with.
    public var founderSet: FounderSet { FounderSet(founders) }

    /// Why the founders cannot found together, or nil: the first founder heard (in id order)
    /// that was started with another set than this node's. Checked on every report as it comes,
    /// before every founder is heard, so the operator learns of it at once.
    func conflict(_ reports: [NodeID: Report]) -> String? {
        let mine = founderSet
        for id in others {
            guard case .empty(_, let theirs?) = reports[id], theirs != mine else { continue }
            return "the founders were started with different --peers: \(id) with [\(theirs.text)], "
                + "\(me) with [\(mine.text)] (\(mine.differences(from: theirs, here: "on \(me)", there: "on \(id)"))). "
                + "They would disagree on who writes the founding membership, so nobody founds: "
                + "start every founder with the same --peers (restart the one that differs; nothing was written)"
        }
        return nil
    }
}

extension FounderCheck.Report {
    /// The form a report takes on the wire (the peer transport's state frame).
    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        switch self {
        case .empty(let address, nil):
            w.write(UInt8(0))
            w.write(address.encoded)
        case .empty(let address, let founders?):
            // A tag of its own: a reader from before founder sets refuses it as unknown (and
            // asks the admin API), never misreads it.
            w.write(UInt8(2))
            w.write(address.encoded)
            founders.encode(into: &w)
        case .founded(let membership):
            w.write(UInt8(1))
            membership.encode(into: &w)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws(DecodingError) {
        var r = ByteReader(bytes)
        switch try r.readByte() {
        case let tag where tag == 0 || tag == 2:
            let text = try r.readString()
            guard let address = MemberAddress(text) else { throw .invalid(offset: 1, reason: "not a member address: \(text)") }
            var founders: FounderSet?
            if tag == 2 { founders = try FounderSet.decode(from: &r) }
            self = .empty(address, founders: founders)
        case 1:
            self = .founded(try Membership.decode(from: &r))
        case let tag:
            throw .unknownTag(offset: 0, tag: tag, type: "founder report")
        }
        try r.expectEnd()
    }
}
