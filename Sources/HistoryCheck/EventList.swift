/// The calls and returns of a partition's operations in time order, as a doubly linked list
/// that a search takes operations out of and puts them back in (Knuth's dancing links).
///
/// Entry `i` is operation `i`'s call and entry `count + i` its return. At equal times calls come
/// first, so operations that touch are concurrent; returns with no deadline come last of all.
struct EventList {
    let count: Int
    private var next: [Int]
    private var previous: [Int]

    /// The entry before the first.
    var head: Int { 2 * count }

    init(calls: [Int64], returns: [Int64?]) {
        count = calls.count
        let order = (0..<2 * calls.count).sorted { Self.place($0, calls, returns) < Self.place($1, calls, returns) }
        next = Array(repeating: -1, count: 2 * calls.count + 1)
        previous = next
        var last = 2 * calls.count
        for entry in order {
            next[last] = entry
            previous[entry] = last
            last = entry
        }
    }

    /// Where an entry sorts: by time, then calls, returns, and returns with no deadline.
    private static func place(_ entry: Int, _ calls: [Int64], _ returns: [Int64?]) -> (Int64, Int) {
        guard entry >= calls.count else { return (calls[entry], 0) }
        return returns[entry - calls.count].map { ($0, 1) } ?? (.max, 2)
    }

    /// The entry after `entry`, or nil at the end.
    func after(_ entry: Int) -> Int? {
        next[entry] < 0 ? nil : next[entry]
    }

    /// Whether `entry` is a return, and which operation it belongs to.
    func operation(of entry: Int) -> (operation: Int, isReturn: Bool) {
        entry < count ? (entry, false) : (entry - count, true)
    }

    /// Takes operation `i`'s call and return out of the list.
    mutating func lift(_ i: Int) {
        unlink(i)
        unlink(count + i)
    }

    /// Puts back what `lift(i)` took out; lifts must be undone last first.
    mutating func unlift(_ i: Int) {
        relink(count + i)
        relink(i)
    }

    private mutating func unlink(_ entry: Int) {
        next[previous[entry]] = next[entry]
        if next[entry] >= 0 { previous[next[entry]] = previous[entry] }
    }

    private mutating func relink(_ entry: Int) {
        next[previous[entry]] = entry
        if next[entry] >= 0 { previous[next[entry]] = entry }
    }
}
