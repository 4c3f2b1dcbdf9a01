import RaftCore

/// Matches the replayed WAL with the newest snapshot that loads, and decides what the node
/// restarts from. Pure apart from `load`, so it can be fuzzed on bytes in memory.
///
/// Rules:
/// - The newest snapshot file that verifies is the base. A newer file that fails to verify is
///   skipped only if the WAL still holds every entry from the older base up to the newest
///   snapshot the WAL mentions; otherwise its `.corrupt` error is thrown.
/// - A snapshot newer than the WAL's last snapshot marker was written just before a crash,
///   before its marker: it applies as the marker would have (later entries survive only if
///   the log has the snapshot's term at its index).
/// - The entries returned start right after the base and have no gaps; anything else is
///   `.corrupt`, naming the WAL file and offset where the log resumes.
struct Recovery {
    struct SnapshotCandidate {
        var index: UInt64
        var path: String
    }

    var state: PersistentState
    var snapshotPath: String?
    /// Newer snapshot files that failed to verify but could be done without.
    var skipped: [(path: String, error: StorageError)] = []
    /// A marker to append when the WAL does not already name the base as its latest snapshot;
    /// without it a later replay could judge the log against a different snapshot.
    var restatement: SnapshotMarker?

    static func recover(
        wal: WALReplay,
        snapshots: [SnapshotCandidate],
        snapshotDirectory: String,
        load: (SnapshotCandidate) throws(StorageError) -> Snapshot
    ) throws(StorageError) -> Recovery {
        var skipped: [(path: String, error: StorageError)] = []
        var base: Snapshot?
        var basePath: String?
        for candidate in snapshots.sorted(by: { $0.index > $1.index }) {
            do {
                base = try load(candidate)
                basePath = candidate.path
                break
            } catch {
                guard case .corrupt = error else { throw error }
                skipped.append((candidate.path, error))
            }
        }
        let baseIndex = base?.metadata.index ?? 0
        let baseTerm = base?.metadata.term ?? 0
        let marker = wal.latestMarker
        var entries = wal.entries
        var locations = wal.locations

        var restatement: SnapshotMarker?
        let agrees = marker.map { $0.index == baseIndex && $0.term == baseTerm } ?? (base == nil)
        if !agrees {
            var keeps = true
            // As `save` judges a snapshot: a log that stops short of it, or has another term at
            // its index, is not kept (else a later replay would find a gap after the marker).
            if baseIndex >= marker?.index ?? 0, let first = entries.first, let last = entries.last,
               baseIndex >= first.index,
               baseIndex > last.index || entries[Int(baseIndex - first.index)].term != baseTerm
            {
                keeps = false
                entries = []
                locations = []
            }
            restatement = SnapshotMarker(index: baseIndex, term: baseTerm, keepsLaterEntries: keeps)
        }

        if let first = entries.first, first.index <= baseIndex {
            let covered = baseIndex - first.index >= UInt64(entries.count) ? entries.count : Int(baseIndex - first.index) + 1
            entries.removeFirst(covered)
            locations.removeFirst(covered)
        }

        func failure(_ own: StorageError) -> StorageError {
            guard let (_, newest) = skipped.first, case let .corrupt(file, offset, reason) = newest else { return own }
            let older = basePath.map { "the older snapshot \($0)" } ?? "an empty log"
            return .corrupt(file: file, offset: offset,
                            reason: reason + "; the WAL no longer reaches back to \(older), so it cannot stand in")
        }
        let resumesAfterBase = entries.first.map { $0.index == baseIndex + 1 } ?? true
        if let m = marker, m.index > baseIndex, !resumesAfterBase || entries.last.map({ $0.index < m.index }) ?? true {
            let at = wal.latestMarkerLocation.map { " (\(wal.path($0)) at offset \($0.offset))" } ?? ""
            throw failure(.corrupt(
                file: snapshotDirectory + "/" + SnapshotFile.name(index: m.index), offset: 0,
                reason: "the snapshot is missing: the WAL\(at) records a snapshot at index \(m.index), "
                    + "and the log does not cover entries \(baseIndex + 1)...\(m.index) without it"))
        }
        if let first = entries.first, !resumesAfterBase {
            throw failure(.corrupt(
                file: wal.path(locations[0]), offset: locations[0].offset,
                reason: "the log resumes at entry \(first.index) but the snapshot ends at index \(baseIndex): "
                    + "entries \(baseIndex + 1)...\(first.index - 1) are missing"))
        }

        return Recovery(
            state: PersistentState(hardState: wal.hardState ?? HardState(), snapshot: base, entries: entries),
            snapshotPath: basePath, skipped: skipped, restatement: restatement)
    }
}
