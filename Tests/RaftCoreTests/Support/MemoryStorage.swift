import RaftCore

/// One node's "disk": exactly what its `Ready`s told it to persist, in the order `Ready`
/// documents (snapshot, then entries, then hard state). A restart reads it back.
struct MemoryStorage {
    var hardState = HardState()
    var snapshot: Snapshot?
    /// The entries after the snapshot, in order, without gaps.
    var entries: [Entry] = []
    /// How many times a `Ready` replaced entries already on disk (a conflicting suffix).
    var truncations = 0

    var snapshotIndex: UInt64 { snapshot?.metadata.index ?? 0 }
    var lastIndex: UInt64 { entries.last?.index ?? snapshotIndex }

    func entry(at index: UInt64) -> Entry? {
        guard index > snapshotIndex, index <= lastIndex else { return nil }
        return entries[Int(index - snapshotIndex - 1)]
    }

    /// What `RaftNode(config:restoring:)` gets after a crash.
    var persistentState: PersistentState {
        PersistentState(hardState: hardState, snapshot: snapshot, entries: entries)
    }

    /// Stores a snapshot received from the leader. Like the in-memory log, keeps the entries
    /// after it when the entry at the snapshot's index agrees with it, and drops them otherwise.
    mutating func install(_ snap: Snapshot) {
        let meta = snap.metadata
        if let e = entry(at: meta.index), e.term == meta.term {
            entries.removeAll { $0.index <= meta.index }
        } else {
            entries = []
        }
        snapshot = snap
    }

    /// Stores a snapshot this node took itself and drops the entries it covers.
    mutating func compact(to snap: Snapshot) {
        entries.removeAll { $0.index <= snap.metadata.index }
        snapshot = snap
    }

    /// Appends entries, replacing any stored entries at or after the first new index.
    /// Returns a description of what is wrong with the batch, if anything.
    mutating func append(_ new: [Entry]) -> String? {
        guard let first = new.first?.index else { return nil }
        if first <= snapshotIndex { return "entries from \(first) overlap the snapshot at \(snapshotIndex)" }
        if first > lastIndex + 1 { return "entries from \(first) leave a gap after \(lastIndex)" }
        for (k, e) in new.enumerated() where e.index != first + UInt64(k) {
            return "entries are not consecutive at \(e.index)"
        }
        if first <= lastIndex {
            truncations += 1
            entries.removeAll { $0.index >= first }
        }
        entries.append(contentsOf: new)
        return nil
    }
}

/// The replicated state machine of the tests: the payloads of the normal entries applied
/// so far, in order. Its snapshot is those payloads joined by newlines.
struct StateMachine: Equatable {
    var appliedIndex: UInt64 = 0
    var values: [String] = []

    var snapshotData: [UInt8] { Array(values.joined(separator: "\n").utf8) }

    init() {}

    init(restoring snap: Snapshot) {
        appliedIndex = snap.metadata.index
        let text = String(decoding: snap.data, as: UTF8.self)
        values = text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    mutating func apply(_ e: Entry) {
        appliedIndex = e.index
        if e.kind == .normal { values.append(String(decoding: e.data, as: UTF8.self)) }
    }
}
