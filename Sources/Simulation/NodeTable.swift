import RaftCore

/// The simulated nodes, stored in an array in creation order. A node's index there (its
/// *slot*) never changes, so the hot paths of a tick address nodes by slot: no hashing of
/// ids, and `all[i].field` mutates in place instead of copying a whole `SimNode`.
struct NodeTable: Sendable {
    /// Every node that ever existed, by slot.
    var all: [SimNode] = []
    private var slots: [NodeID: Int] = [:]

    /// The node with `id`; it must exist. For cold paths: each access hashes the id.
    subscript(id: NodeID) -> SimNode {
        // A plain getter: a `_read` coroutine here miscompiles in debug builds (Swift 6.3),
        // over-releasing values copied out of the yielded node.
        get { all[slots[id]!] }
        _modify {
            let i = slots[id]!
            yield &all[i]
        }
    }

    /// The slot of `id`, if such a node exists.
    func slot(of id: NodeID) -> Int? { slots[id] }

    func contains(_ id: NodeID) -> Bool { slots[id] != nil }

    /// The node with `id`, if any (a copy: for rare lookups only).
    func lookup(_ id: NodeID) -> SimNode? { slots[id].map { all[$0] } }

    mutating func insert(_ node: SimNode) {
        precondition(slots[node.id] == nil, "\(node.id) exists")
        slots[node.id] = all.count
        all.append(node)
    }
}
