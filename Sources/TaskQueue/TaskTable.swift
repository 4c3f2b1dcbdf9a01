/// The tasks the queue holds, in id order. A task's position (its id's number minus one) never
/// changes; retention removes tasks anywhere in the table, so slots are looked up by binary
/// search, a removed slot is emptied at once (its strings freed), empty slots at the front are
/// dropped as they appear and the rest compacted once they outnumber the tasks held: removal
/// costs O(1) amortised and memory stays within twice the tasks held. Slots are kept in chunks
/// (`ChunkedArray`), so the first change after a snapshot's copy copies one chunk, not the table.
struct TaskTable: Sendable {
    /// The records, ascending by position; nil where a task was removed.
    private var slots = ChunkedArray<TaskRecord?>()
    /// Each slot's position, ascending.
    private var positions = ChunkedArray<Int>()
    /// How many slots are empty.
    private var holes = 0
    /// How many tasks the table holds.
    private(set) var count = 0

    /// The slot that holds position `p`, if a task is there.
    private func slot(_ p: Int) -> Int? {
        // Positions ascend by at least one a slot, so `p` sits at most `p - first` slots in,
        // and exactly there while nothing before it was compacted away: one read, usually.
        guard let first = positions.first, p >= first else { return nil }
        let guess = p - first
        if guess < positions.count && positions[guess] == p { return slots[guess] == nil ? nil : guess }
        let lo = positions.partitionPoint { $0 >= p }
        guard lo < positions.count, positions[lo] == p, slots[lo] != nil else { return nil }
        return lo
    }

    /// The first slot whose position is above `p`.
    private func firstSlot(above p: Int) -> Int {
        positions.partitionPoint { $0 > p }
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
        var leading = 0
        while leading < slots.count && slots[leading] == nil { leading += 1 }
        if leading > 0 {
            slots.removeFirst(leading)
            positions.removeFirst(leading)
            holes -= leading
        }
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
