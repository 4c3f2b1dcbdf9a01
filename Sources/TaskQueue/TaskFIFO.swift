/// The queue of waiting tasks, as a doubly linked list threaded through two arrays indexed by
/// task position: O(1) append, O(1) removal of any member, iteration in arrival order.
struct TaskFIFO: Sendable {
    /// The first member's position, or -1 when empty.
    private(set) var head = -1
    private(set) var tail = -1
    private(set) var count = 0
    private var next: [Int] = []
    private var prev: [Int] = []

    /// True when the task at `position` is in the queue.
    func contains(_ position: Int) -> Bool {
        guard position >= 0, position < next.count else { return false }
        return prev[position] >= 0 || head == position
    }

    /// The member after `position`, or -1 at the end.
    func successor(of position: Int) -> Int { next[position] }

    /// Appends the task at `position`; does nothing if it is already queued.
    mutating func append(_ position: Int) {
        guard position >= 0, !contains(position) else { return }
        if position >= next.count {
            let grow = position + 1 - next.count
            next.append(contentsOf: repeatElement(-1, count: grow))
            prev.append(contentsOf: repeatElement(-1, count: grow))
        }
        next[position] = -1
        prev[position] = tail
        if tail >= 0 { next[tail] = position } else { head = position }
        tail = position
        count += 1
    }

    /// Unlinks the task at `position`; does nothing if it is not queued.
    mutating func remove(_ position: Int) {
        guard contains(position) else { return }
        let before = prev[position], after = next[position]
        if before >= 0 { next[before] = after } else { head = after }
        if after >= 0 { prev[after] = before } else { tail = before }
        next[position] = -1
        prev[position] = -1
        count -= 1
    }

    /// The members' positions, first to last.
    var positions: [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        var p = head
        while p >= 0 {
            out.append(p)
            p = next[p]
        }
        return out
    }
}
