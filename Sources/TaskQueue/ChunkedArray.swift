/// An array kept as fixed-size chunks behind an outer array of chunks, so a copy shares them
/// and a mutation after a copy duplicates only the outer array and the one chunk it touches:
/// the Raft loop's first change after a snapshot captured the state costs microseconds, not a
/// copy of the whole table. Appends at the back, removes at either end; indices start at 0.
struct ChunkedArray<Element: Sendable>: Sendable {
    /// log2 of the elements per chunk.
    private static var shift: Int { 9 }
    /// Elements per chunk.
    static var chunkSize: Int { 1 << shift }
    private static var mask: Int { chunkSize - 1 }

    /// Every chunk is full but the first (which may start at `start`) and the last.
    private(set) var chunks: [[Element]] = []
    /// The first element's place in `chunks[0]`.
    private var start = 0
    /// How many elements are held.
    private(set) var count = 0

    init() {}

    /// Appends `element` at the back.
    mutating func append(_ element: Element) {
        let place = start + count
        if place >> Self.shift == chunks.count {
            var chunk: [Element] = []
            chunk.reserveCapacity(chunks.isEmpty ? 1 : Self.chunkSize)
            chunk.append(element)
            chunks.append(chunk)
        } else {
            chunks[chunks.count - 1].append(element)
        }
        count += 1
    }

    /// Removes the last `k` elements (at most `count`).
    mutating func removeLast(_ k: Int) {
        precondition(k >= 0 && k <= count, "removing more than held")
        count -= k
        guard count > 0 else { return removeAll() }
        let end = start + count
        let chunksKept = (end + Self.mask) >> Self.shift
        if chunksKept < chunks.count { chunks.removeLast(chunks.count - chunksKept) }
        let inLast = end - (chunksKept - 1) * Self.chunkSize
        let last = chunks.count - 1
        if chunks[last].count > inLast { chunks[last].removeLast(chunks[last].count - inLast) }
    }

    /// Removes the first `k` elements (at most `count`); a chunk is given back once passed.
    mutating func removeFirst(_ k: Int) {
        precondition(k >= 0 && k <= count, "removing more than held")
        count -= k
        guard count > 0 else { return removeAll() }
        start += k
        let passed = start >> Self.shift
        if passed > 0 {
            chunks.removeFirst(passed)
            start &= Self.mask
        }
    }

    /// The first index whose element satisfies `isAfter`, or `count` if none does; the elements
    /// must be partitioned (those that do not satisfy it first). Searches the chunks' last
    /// elements, then one chunk, so each step reads one plain array.
    func partitionPoint(where isAfter: (Element) -> Bool) -> Int {
        guard count > 0 else { return 0 }
        var lo = 0, hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if isAfter(chunks[mid][chunks[mid].count - 1]) { hi = mid } else { lo = mid + 1 }
        }
        guard lo < chunks.count else { return count }
        let chunk = chunks[lo]
        var first = lo == 0 ? start : 0, last = chunk.count
        while first < last {
            let mid = (first + last) / 2
            if isAfter(chunk[mid]) { last = mid } else { first = mid + 1 }
        }
        return lo * Self.chunkSize + first - start
    }

    /// Removes every element.
    mutating func removeAll() {
        chunks = []
        start = 0
        count = 0
    }
}

extension ChunkedArray: RandomAccessCollection, MutableCollection {
    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(i: Int) -> Element {
        get {
            precondition(i >= 0 && i < count, "index out of range")
            let place = start + i
            return chunks[place >> Self.shift][place & Self.mask]
        }
        _modify {
            precondition(i >= 0 && i < count, "index out of range")
            let place = start + i
            yield &chunks[place >> Self.shift][place & Self.mask]
        }
    }
}

extension ChunkedArray: Equatable where Element: Equatable {
    static func == (lhs: ChunkedArray, rhs: ChunkedArray) -> Bool { lhs.elementsEqual(rhs) }
}
