import RaftCore

/// What a node stores in `Member.address` (opaque to Raft), so every replica knows how to
/// reach every member: `raft=HOST:PORT admin=HOST:PORT slots=N`.
struct MemberAddress: Sendable, Equatable {
    var raft: String
    var admin: String
    var slots: Int

    var encoded: String { "raft=\(raft) admin=\(admin) slots=\(slots)" }

    init(raft: String, admin: String, slots: Int) {
        self.raft = raft
        self.admin = admin
        self.slots = slots
    }

    init?(_ text: String) {
        var fields: [String: String] = [:]
        for part in text.split(separator: " ") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { fields[String(kv[0])] = String(kv[1]) }
        }
        guard let raft = fields["raft"], let admin = fields["admin"] else { return nil }
        self.init(raft: raft, admin: admin, slots: fields["slots"].flatMap(Int.init) ?? 0)
    }
}

extension Membership {
    /// Each member's addresses, for those that carry them.
    var addresses: [NodeID: MemberAddress] {
        var out: [NodeID: MemberAddress] = [:]
        for (id, m) in members {
            if let a = MemberAddress(m.address) { out[id] = a }
        }
        return out
    }
}
