import BinaryCoding
import RaftCore

/// What a node's storage should hand back: the reference the tests compare recovery with.
/// It applies a `save` exactly as the storage documents it.
struct Model: Equatable, CustomStringConvertible {
    var hardState = HardState()
    var snapshot: Snapshot?
    var entries: [Entry] = []

    init() {}

    init(_ state: PersistentState) {
        hardState = state.hardState
        snapshot = state.snapshot
        entries = state.entries
    }

    var snapshotIndex: UInt64 { snapshot?.metadata.index ?? 0 }
    var lastIndex: UInt64 { entries.last?.index ?? snapshotIndex }

    func term(at index: UInt64) -> UInt64? {
        if index == snapshotIndex { return snapshot?.metadata.term ?? 0 }
        return entries.first { $0.index == index }?.term
    }

    mutating func apply(snapshot s: Snapshot) {
        guard s.metadata.index > snapshotIndex else { return }
        if entries.contains(where: { $0.index == s.metadata.index && $0.term == s.metadata.term }) {
            entries.removeAll { $0.index <= s.metadata.index }
        } else {
            entries = []
        }
        snapshot = s
    }

    mutating func apply(entries new: [Entry]) {
        guard let first = new.first else { return }
        entries.removeAll { $0.index >= first.index }
        entries.append(contentsOf: new)
    }

    mutating func apply(_ batch: Batch) {
        if let s = batch.snapshot { apply(snapshot: s) }
        apply(entries: batch.entries)
        if let h = batch.hardState { hardState = h }
    }

    /// The states a crash may leave after `batch` was written but not synced: the records are
    /// durable in order, so any prefix of them (a snapshot's file is written before them all).
    func prefixes(of batch: Batch) -> [Model] {
        var m = self
        if let s = batch.snapshot { m.apply(snapshot: s) }
        var out = [m]
        for e in batch.entries {
            m.apply(entries: [e])
            out.append(m)
        }
        if let h = batch.hardState {
            m.hardState = h
            out.append(m)
        }
        return out
    }

    var description: String {
        "Model(hardState: \(hardState), snapshot: \(snapshot.map { "\($0.metadata.index)/\($0.metadata.term)" } ?? "none"), "
            + "entries: \(entries.map { "\($0.index)/\($0.term)" }))"
    }
}

/// What the saves that returned add up to, and what a power cut may take it back to: a save
/// that only moves the commit index is written without a sync, so recovery may give back any
/// state since the last synced save.
struct Acknowledged {
    private(set) var model: Model
    /// The states since the last synced save, oldest first.
    private(set) var unsynced: [Model] = []

    init(_ model: Model = Model(), unsynced: [Model] = []) {
        self.model = model
        self.unsynced = unsynced
    }

    /// `prepared`: the batch was saved with its snapshot's file prepared (`savePrepared`).
    mutating func apply(_ b: Batch, prepared: Bool = false) {
        let before = model
        model.apply(b)
        // An empty batch writes nothing, so it syncs nothing either.
        if b.isEmpty { return }
        if b.movesOnlyTheCommit(from: before) {
            unsynced.append(before)
        } else if prepared, let s = b.snapshot, b.entries.isEmpty, b.hardState == nil {
            // Only the snapshot's marker is written, unsynced; its file is durable already, so a
            // power cut keeps the snapshot but may take back the commit-only saves before it.
            if s.metadata.index > before.snapshotIndex {
                unsynced = unsynced.map { var m = $0; m.apply(snapshot: s); return m }
            }
        } else {
            unsynced = []
        }
    }

    /// What recovery may give back after a power cut.
    var afterPowerCut: [Model] { [model] + unsynced }
}

/// One `save` call's arguments.
struct Batch {
    var hardState: HardState?
    var entries: [Entry] = []
    var snapshot: Snapshot?

    var isEmpty: Bool { hardState == nil && entries.isEmpty && snapshot == nil }

    /// Whether this batch only moves `model`'s commit index: storage writes it without a sync.
    func movesOnlyTheCommit(from model: Model) -> Bool {
        guard snapshot == nil, entries.isEmpty, let h = hardState else { return false }
        return h.term == model.hardState.term && h.vote == model.hardState.vote && model.hardState.term > 0
    }
}

/// Random but valid batches for a `Model`: overwrites of a suffix, term changes, hard states,
/// and (when allowed) snapshots that keep the log after them or replace it.
struct BatchGenerator {
    var rng: SplitMix64
    var term: UInt64 = 1
    var maxData = 40

    init(seed: UInt64, maxData: Int = 40) {
        rng = SplitMix64(seed: seed)
        self.maxData = maxData
    }

    mutating func entry(_ index: UInt64, term: UInt64) -> Entry {
        let data = (0..<rng.below(maxData + 1)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let kind: EntryKind = [.normal, .normal, .normal, .config, .noop][rng.below(5)]
        return Entry(index: index, term: term, kind: kind, data: data, hash: rng.next())
    }

    mutating func snapshot(index: UInt64, term: UInt64) -> Snapshot {
        let members = (1...(1 + rng.below(3))).map { Member(id: "n\($0)", isVoter: $0 != 3, address: "127.0.0.1:\(7000 + $0)") }
        let meta = SnapshotMetadata(index: index, term: term, hash: rng.next(), membership: Membership(members))
        return Snapshot(metadata: meta, data: (0..<rng.below(200)).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    mutating func batch(for model: Model, snapshotChance: Double = 0.1) -> Batch {
        var b = Batch()
        var view = model
        if rng.chance(snapshotChance) {
            let base = view.snapshotIndex
            let last = view.lastIndex
            let s: Snapshot
            if last > base, rng.chance(0.6) {
                let index = base + 1 + UInt64(rng.below(Int(last - base)))
                s = snapshot(index: index, term: view.term(at: index)!) // a compaction: keeps what follows
            } else if last > base, rng.chance(0.5) {
                let index = base + 1 + UInt64(rng.below(Int(last - base)))
                term += 1
                s = snapshot(index: index, term: term) // from a leader whose log differs: drops what follows
            } else {
                term += 1
                s = snapshot(index: last + 1 + UInt64(rng.below(3)), term: term) // ahead of the log
            }
            b.snapshot = s
            view.apply(snapshot: s)
        }
        if rng.chance(0.8) {
            let last = view.lastIndex
            let lowest = max(view.snapshotIndex + 1, last + 1 - min(last, UInt64(rng.below(4))))
            let first = rng.chance(0.7) ? last + 1 : max(lowest, 1)
            if rng.chance(0.2) { term += 1 }
            b.entries = (0..<UInt64(1 + rng.below(5))).map { entry(first + $0, term: term) }
            view.apply(entries: b.entries)
        }
        if rng.chance(0.6) {
            let votes: [NodeID?] = [nil, "n1", "n2", "a-rather-longer-node-name"]
            b.hardState = HardState(term: term, vote: votes[rng.below(votes.count)],
                                    commit: UInt64(rng.below(Int(view.lastIndex) + 1)))
        }
        return b
    }
}
