/// The in-memory log of one node: the entries after the last snapshot, plus what is
/// committed, applied and still to be persisted. Indexes start at 1; `snapshot.index`
/// is the last compacted entry (0 when nothing is compacted).
struct RaftLog: Sendable {
    private(set) var snapshot: SnapshotMetadata
    /// `entries[i].index == snapshot.index + 1 + i`.
    private(set) var entries: [Entry]
    var committed: UInt64
    var applied: UInt64
    /// The first index not yet handed to the runtime for persistence.
    private(set) var unstableFrom: UInt64

    init(snapshot: SnapshotMetadata, entries: [Entry], committed: UInt64) {
        self.snapshot = snapshot
        self.entries = entries
        self.committed = max(committed, snapshot.index)
        self.applied = snapshot.index
        self.unstableFrom = snapshot.index + UInt64(entries.count) + 1
    }

    var firstIndex: UInt64 { snapshot.index + 1 }
    var lastIndex: UInt64 { snapshot.index + UInt64(entries.count) }
    var lastTerm: UInt64 { entries.last?.term ?? snapshot.term }
    var lastHash: UInt64 { entries.last?.hash ?? snapshot.hash }

    private func position(_ index: UInt64) -> Int { Int(index - snapshot.index - 1) }

    func entry(at index: UInt64) -> Entry? {
        guard index > snapshot.index, index <= lastIndex else { return nil }
        return entries[position(index)]
    }

    /// The term at `index`, or nil if it is compacted away (below the snapshot) or beyond the log.
    func term(at index: UInt64) -> UInt64? {
        if index == snapshot.index { return snapshot.term }
        return entry(at: index)?.term
    }

    func hash(at index: UInt64) -> UInt64? {
        if index == snapshot.index { return snapshot.hash }
        return entry(at: index)?.hash
    }

    func matchTerm(_ index: UInt64, _ term: UInt64) -> Bool { self.term(at: index) == term }

    /// Raft's "at least as up to date" comparison of (lastTerm, lastIndex).
    func isUpToDate(lastIndex: UInt64, lastTerm: UInt64) -> Bool {
        lastTerm > self.lastTerm || (lastTerm == self.lastTerm && lastIndex >= self.lastIndex)
    }

    /// Entries from `index` on, bounded in count and bytes (at least one when any exist).
    /// Nil when `index` is compacted away.
    func entries(from index: UInt64, maxCount: Int, maxBytes: Int) -> [Entry]? {
        guard index > snapshot.index else { return nil }
        guard index <= lastIndex else { return [] }
        let start = position(index)
        var end = start
        var bytes = 0
        while end < entries.count, end - start < maxCount {
            bytes += entries[end].data.count
            if end > start, bytes > maxBytes { break }
            end += 1
        }
        return Array(entries[start..<end])
    }

    /// Appends entries built by the leader of `term`; returns the new last index.
    mutating func appendNew(term: UInt64, kind: EntryKind, data: [UInt8]) -> Entry {
        let e = Entry(index: lastIndex + 1, term: term, kind: kind, data: data, previousHash: lastHash)
        entries.append(e)
        return e
    }

    /// The largest index <= `index` whose term is <= `term` (the fast log-backtracking probe).
    func findConflict(byTerm term: UInt64, atOrBelow index: UInt64) -> UInt64 {
        var i = min(index, lastIndex)
        while i > snapshot.index, let t = self.term(at: i), t > term { i -= 1 }
        return i
    }

    enum AppendOutcome {
        case appended(lastNewIndex: UInt64)
        case mismatch
        /// The leader's entries do not chain onto our hashes although terms match: a broken invariant.
        case hashMismatch(index: UInt64)
        /// The leader's entries would overwrite a committed entry: a broken invariant.
        case conflictsWithCommitted(index: UInt64)
    }

    /// Follower side of AppendEntries: checks the previous entry, drops any conflicting
    /// suffix, appends what is new. Never truncates committed entries.
    mutating func maybeAppend(prevIndex: UInt64, prevTerm: UInt64, entries new: [Entry]) -> AppendOutcome {
        guard matchTerm(prevIndex, prevTerm) else { return .mismatch }
        let lastNew = prevIndex + UInt64(new.count)
        var previousHash = hash(at: prevIndex)!
        for e in new {
            guard e.chains(onto: previousHash) else { return .hashMismatch(index: e.index) }
            previousHash = e.hash
        }
        // Find the first entry we do not already hold.
        var firstNew = new.count
        for (k, e) in new.enumerated() where e.index > snapshot.index && !matchTerm(e.index, e.term) {
            firstNew = k
            break
        }
        guard firstNew < new.count else { return .appended(lastNewIndex: lastNew) }
        let conflictIndex = new[firstNew].index
        if conflictIndex <= committed { return .conflictsWithCommitted(index: conflictIndex) }
        if conflictIndex <= lastIndex { entries.removeSubrange(position(conflictIndex)...) }
        entries.append(contentsOf: new[firstNew...])
        unstableFrom = min(unstableFrom, conflictIndex)
        return .appended(lastNewIndex: lastNew)
    }

    mutating func commit(to index: UInt64) -> Bool {
        guard index > committed else { return false }
        precondition(index <= lastIndex, "commit \(index) beyond last index \(lastIndex)")
        committed = index
        return true
    }

    /// Entries not yet handed out for persistence; marks them handed out.
    mutating func takeUnstable() -> [Entry] {
        guard unstableFrom <= lastIndex else { return [] }
        let from = max(unstableFrom, firstIndex)
        unstableFrom = lastIndex + 1
        return Array(entries[position(from)...])
    }

    /// Committed entries not yet applied; marks them applied.
    mutating func takeCommitted() -> [Entry] {
        guard committed > applied else { return [] }
        let from = max(applied + 1, firstIndex)
        let out = Array(entries[position(from)...position(committed)])
        applied = committed
        return out
    }

    /// Drops the entries up to `index` (inclusive) after the state machine snapshotted there.
    mutating func compact(to meta: SnapshotMetadata) {
        guard meta.index > snapshot.index, meta.index <= applied else { return }
        entries.removeFirst(position(meta.index) + 1)
        snapshot = meta
    }

    /// Replaces the log with a snapshot received from the leader. Keeps entries past the
    /// snapshot when they agree with it.
    mutating func restore(_ meta: SnapshotMetadata) {
        if matchTerm(meta.index, meta.term), meta.index >= firstIndex {
            entries.removeFirst(position(meta.index) + 1)
        } else {
            entries = []
            unstableFrom = meta.index + 1
        }
        snapshot = meta
        committed = max(committed, meta.index)
        applied = meta.index
        unstableFrom = max(unstableFrom, meta.index + 1)
    }
}
