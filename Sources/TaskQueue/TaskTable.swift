/// The tasks the queue holds, in id order. A task's position (its id's number minus one) never
/// changes; retention removes tasks anywhere in the table, so slots are looked up by binary
/// search, a removed slot is emptied at once (its strings freed) and the array is compacted once
/// empty slots outnumber the tasks held: removal costs O(1) amortised and memory stays within
/// twice the tasks held.
struct TaskTable: Sendable {
    /// The records, ascending by position; nil where a task was removed.
    private var slots: [TaskRecord?] = []
    /// Each slot's position, ascending.
    private var positions: [Int] = []
    /// How many slots are empty.
    private var holes = 0
    /// How many tasks the table holds.
    private(set) var count = 0

    /// The slot that holds position `p`, if a task is there.
    private func slot(_ p: Int) -> Int? {
        var lo = 0, hi = positions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if positions[mid] < p { lo = mid + 1 } else { hi = mid }
        }
        guard lo < positions.count, positions[lo] == p, slots[lo] != nil else { return nil }
        return lo
    }

    /// The first slot whose position is above `p`.
    private func firstSlot(above p: Int) -> Int {
        var lo = 0, hi = positions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if positions[mid] <= p { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// True when the table holds a task at position `p`.
    func contains(_ p: Int) -> Bool { slot(p) != nil }

    /// The task at position `p`, if held.
    func record(at p: Int) -> TaskRecord? { slot(p).map { slots[$0]! } }

    /// The task at position `p`, which must be held.
    subscript(p: Int) -> TaskRecord {
        get { slots[slot(p)!]! }
        _modify {
            let i = slot(p)!
            yield &slots[i]!
        }
    }

    /// Adds a task at position `p`, above every position held or removed before.
    mutating func append(_ record: TaskRecord, at p: Int) {
        precondition(positions.last.map { $0 < p } ?? true, "positions only grow")
        slots.append(record)
        positions.append(p)
        count += 1
    }

    /// Removes the task at position `p` and returns it.
    @discardableResult
    mutating func remove(_ p: Int) -> TaskRecord? {
        guard let i = slot(p) else { return nil }
        let record = slots[i]
        slots[i] = nil
        holes += 1
        count -= 1
        if holes > 64 && holes > count { compact() }
        return record
    }

    /// Drops the empty slots.
    private mutating func compact() {
        var kept = 0
        for i in slots.indices where slots[i] != nil {
            if kept != i {
                slots.swapAt(kept, i)
                positions[kept] = positions[i]
            }
            kept += 1
        }
        slots.removeLast(slots.count - kept)
        positions.removeLast(positions.count - kept)
        holes = 0
    }

    /// Every task, in id order.
    var all: [TaskRecord] {
        var out: [TaskRecord] = []
        out.reserveCapacity(count)
        forEach { out.append($0) }
        return out
    }

    /// Calls `body` on every task in id order.
    func forEach(_ body: (TaskRecord) -> Void) {
        for case let record? in slots { body(record) }
    }

    /// Calls `body` on the tasks after position `p` (nil: from the start) in id order, or before
    /// it (nil: from the end) in reverse order, until `body` returns false.
    func walk(after p: Int?, descending: Bool, _ body: (Int, TaskRecord) -> Bool) {
        if descending {
            var i = p.map { firstSlot(above: $0 - 1) } ?? slots.count
            while i > 0 {
                i -= 1
                if let record = slots[i], !body(positions[i], record) { return }
            }
        } else {
            var i = p.map { firstSlot(above: $0) } ?? 0
            while i < slots.count {
                if let record = slots[i], !body(positions[i], record) { return }
                i += 1
            }
        }
    }
}

extension TaskTable: Equatable {
    /// Equal when the same tasks sit at the same positions, wherever the empty slots are.
    static func == (lhs: TaskTable, rhs: TaskTable) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var a: [(Int, TaskRecord)] = [], b: [(Int, TaskRecord)] = []
        lhs.walk(after: nil, descending: false) { a.append(($0, $1)); return true }
        rhs.walk(after: nil, descending: false) { b.append(($0, $1)); return true }
        return a.elementsEqual(b) { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}
