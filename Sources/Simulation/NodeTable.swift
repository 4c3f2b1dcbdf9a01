import RaftCore

/// The simulated nodes by id, stored in an array so that mutating one field of a node
/// happens in place (a dictionary of structs copied whole nodes, which dominated profiles).
struct NodeTable: Sendable {
    private var storage: [SimNode] = []
    private var slots: [NodeID: Int] = [:]

    /// The node with `id`; it must exist.
    subscript(id: NodeID) -> SimNode {
        // A plain getter: a `_read` coroutine here miscompiles in debug builds (Swift 6.3),
        // over-releasing values copied out of the yielded node.
        get { storage[slots[id]!] }
        _modify {
            let i = slots[id]!
            yield &storage[i]
        }
    }

    func contains(_ id: NodeID) -> Bool { slots[id] != nil }

    /// The node with `id`, if any (a copy: for rare lookups only).
    func lookup(_ id: NodeID) -> SimNode? { slots[id].map { storage[$0] } }

    mutating func insert(_ node: SimNode) {
        precondition(slots[node.id] == nil, "\(node.id) exists")
        slots[node.id] = storage.count
        storage.append(node)
    }
}
