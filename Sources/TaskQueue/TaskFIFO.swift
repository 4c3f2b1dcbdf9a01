/// The queue of waiting tasks, as a doubly linked list over the members' positions: O(1)
/// append, O(1) removal of any member, iteration in arrival order. Links are kept only for
/// members, so its memory follows the queue's length, not the highest position ever queued.
struct TaskFIFO: Sendable {
    /// The first member's position, or -1 when empty.
    private(set) var head = -1
    private(set) var tail = -1
    /// Member -> (previous, next), -1 at either end.
    private var links: [Int: (prev: Int, next: Int)] = [:]

    var count: Int { links.count }

    /// True when the task at `position` is in the queue.
    func contains(_ position: Int) -> Bool { links[position] != nil }

    /// The member after `position`, or -1 at the end.
    func successor(of position: Int) -> Int { links[position]?.next ?? -1 }

    /// Appends the task at `position`; does nothing if it is already queued.
    mutating func append(_ position: Int) {
        guard position >= 0, !contains(position) else { return }
        links[position] = (tail, -1)
        if tail >= 0 { links[tail]?.next = position } else { head = position }
        tail = position
    }

    /// Unlinks the task at `position`; does nothing if it is not queued.
    mutating func remove(_ position: Int) {
        guard let link = links.removeValue(forKey: position) else { return }
        if link.prev >= 0 { links[link.prev]?.next = link.next } else { head = link.next }
        if link.next >= 0 { links[link.next]?.prev = link.prev } else { tail = link.prev }
    }

    /// The members' positions, first to last.
    var positions: [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        var p = head
        while p >= 0 {
            out.append(p)
            p = successor(of: p)
        }
        return out
    }
}
