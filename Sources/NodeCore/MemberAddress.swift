import RaftCore

/// What a node stores in `Member.address` (opaque to Raft), so every replica knows how to
/// reach every member, how many tasks it runs at once, and which incarnation of it is the
/// member: `raft=HOST:PORT admin=HOST:PORT slots=N inc=HEX` (`inc` absent when unknown).
public struct MemberAddress: Sendable, Equatable {
    public var raft: String
    public var admin: String
    public var slots: Int
    /// The incarnation the member's storage drew when it first stored anything; 0 when unknown
    /// (a membership written before incarnations existed).
    public var incarnation: UInt64

    public var encoded: String {
        let base = "raft=\(raft) admin=\(admin) slots=\(slots)"
        return incarnation == 0 ? base : base + " inc=\(Incarnation.text(incarnation))"
    }

    public init(raft: String, admin: String, slots: Int, incarnation: UInt64 = 0) {
        self.raft = raft
        self.admin = admin
        self.slots = slots
        self.incarnation = incarnation
    }

    /// Parses the encoded form; nil when the raft or admin address is missing.
    public init?(_ text: String) {
        var fields: [Substring: Substring] = [:]
        for part in text.split(separator: " ") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[kv[0]] = kv[1] }
        }
        guard let raft = fields["raft"], let admin = fields["admin"] else { return nil }
        self.init(raft: String(raft), admin: String(admin), slots: fields["slots"].flatMap { Int($0) } ?? 0,
                  incarnation: fields["inc"].flatMap { Incarnation.parse($0) } ?? 0)
    }
}

extension Membership {
    /// Each member's addresses, for those that carry them.
    public var addresses: [NodeID: MemberAddress] {
        var out: [NodeID: MemberAddress] = [:]
        for (id, m) in members {
            if let a = MemberAddress(m.address) { out[id] = a }
        }
        return out
    }
}
