import RaftCore

/// What a node stores in `Member.address` (opaque to Raft), so every replica knows how to
/// reach every member and how many tasks it runs at once: `raft=HOST:PORT admin=HOST:PORT slots=N`.
public struct MemberAddress: Sendable, Equatable {
    public var raft: String
    public var admin: String
    public var slots: Int

    public var encoded: String { "raft=\(raft) admin=\(admin) slots=\(slots)" }

    public init(raft: String, admin: String, slots: Int) {
        self.raft = raft
        self.admin = admin
        self.slots = slots
    }

    /// Parses the encoded form; nil when the raft or admin address is missing.
    public init?(_ text: String) {
        var fields: [Substring: Substring] = [:]
        for part in text.split(separator: " ") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[kv[0]] = kv[1] }
        }
        guard let raft = fields["raft"], let admin = fields["admin"] else { return nil }
        self.init(raft: String(raft), admin: String(admin), slots: fields["slots"].flatMap { Int($0) } ?? 0)
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
