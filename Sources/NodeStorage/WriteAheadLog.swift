/// # On-disk format
///
/// A node's data directory holds:
///
///     LOCK                          flock()ed while a process has the storage open
///     wal/wal-<seq %016llx>.log     WAL segments, numbered 1, 2, 3, … (a sequence number,
///                                   not an index); only a prefix is ever deleted, so the
///                                   numbers on disk are consecutive
///     snap/snap-<index %016llx>.bin snapshots named by the last index they cover (see
///                                   `SnapshotFile`); the newest two are kept
///
/// A segment is a sequence of records, each
///
///     [length u32 LE][crc32c u32 LE][type u8][payload: length bytes]
///
/// where `length` counts the payload only and the CRC-32C covers the type byte and the
/// payload. Types: 1 entry (`Entry.encode`), 2 hard state (`HardState.encode`), 3 snapshot
/// marker (index varint, term varint, keepsLaterEntries bool). A record never spans segments;
/// a segment rolls over once the next record would take it past `segmentSize` (a segment
/// holding only its header takes one record of any size up to `segmentSize`).
///
/// Every segment starts with a header: a snapshot marker for the snapshot in force and the
/// hard state in force when it was created. So deleting older segments never loses the hard
/// state or the snapshot a later replay is judged against.
///
/// # Writing
///
/// `NodeStorage.save` appends one batch (marker, entries, hard state) and fsyncs once: a
/// group commit. A rollover fsyncs the finished segment first and the directory at the end.
/// If anything fails the batch is undone, durably: segments created for it are removed (and
/// the directory fsynced), then the segment it started in is truncated back and fsynced, so
/// no record of it stays behind, even after a power cut.
///
/// # Replay
///
/// Records apply in order: an entry at index i replaces every entry at or after i; the last
/// hard state wins; a marker drops the entries it covers (and all later ones unless it keeps
/// them). A damaged record at the end of the last segment, with no valid record anywhere
/// after it, is a torn write: it is cut off with a warning. Any other damage is `.corrupt`.
struct WriteAheadLog {
    /// A record ready to append.
    struct Pending {
        var bytes: [UInt8]
        /// The entry's index, for entry records: segments wholly below a snapshot are deleted.
        var entryIndex: UInt64?
    }

    let directory: String
    let disk: any StorageDisk
    let options: StorageOptions
    /// Oldest first; the last one is open for appends.
    private(set) var segments: [WALReplay.SegmentSummary]
    private var file: any DiskFile
    /// False while the current segment holds nothing but its header.
    private var hasBody: Bool
    private(set) var fsyncCount = 0
    private(set) var lastFsyncSeconds = 0.0
    private(set) var recordsWritten = 0

    static func name(sequence: UInt64) -> String { "wal-\(hex16(sequence)).log" }
    static func sequence(fromName name: String) -> UInt64? { parseHex16(name, prefix: "wal-", suffix: ".log") }

    /// Opens the last replayed segment for appends, cutting it back to its valid length (a
    /// torn tail), or creates segment 1 in an empty WAL.
    init(directory: String, disk: any StorageDisk, options: StorageOptions,
         segments replayed: [WALReplay.SegmentSummary]) throws(StorageError) {
        self.directory = directory
        self.disk = disk
        self.options = options
        var segments = replayed
        if let last = segments.last {
            file = try disk.openFile(last.path)
            if try file.size() != last.size {
                try file.truncate(to: last.size)
                if options.fsync { try file.sync() }
            }
        } else {
            let path = directory + "/" + WriteAheadLog.name(sequence: 1)
            file = try disk.createFile(path)
            if options.fsync { try disk.syncDirectory(directory) }
            segments = [WALReplay.SegmentSummary(sequence: 1, path: path, size: 0, maxEntryIndex: 0)]
        }
        self.segments = segments
        hasBody = segments[segments.count - 1].size > 0
    }

    /// True when the segment being appended to is empty and needs a header first.
    var currentIsEmpty: Bool { segments[segments.count - 1].size == 0 }

    var totalBytes: Int { segments.reduce(0) { $0 + $1.size } }

    /// Appends `records` and, with `sync`, makes them durable (without, the next sync does).
    /// `header(i)` gives the records that open a new segment started just before record `i`.
    /// On failure nothing of the batch remains (the error is rethrown); if even undoing fails,
    /// that error is thrown instead, wrapped in `AppendFailure.unrecoverable`.
    mutating func append(_ records: [Pending], sync mustSync: Bool = true, header: (Int) -> [Pending]) throws(AppendFailure) {
        guard !records.isEmpty else { return }
        let saved = (segments, hasBody)
        let savedCount = recordsWritten
        var created: [String] = []
        var pending: [UInt8] = []
        do throws(StorageError) {
            for (i, record) in records.enumerated() {
                let size = segments[segments.count - 1].size + pending.count
                if hasBody && size + record.bytes.count > options.segmentSize {
                    try flush(&pending)
                    try sync()
                    let sequence = segments[segments.count - 1].sequence + 1
                    let path = directory + "/" + WriteAheadLog.name(sequence: sequence)
                    let next = try disk.createFile(path)
                    created.append(path)
                    file.close()
                    file = next
                    segments.append(WALReplay.SegmentSummary(sequence: sequence, path: path, size: 0, maxEntryIndex: 0))
                    hasBody = false
                    for h in header(i) { add(h, to: &pending) }
                }
                add(record, to: &pending)
                hasBody = true
            }
            try flush(&pending)
            if mustSync || !created.isEmpty { try sync() }
            if !created.isEmpty, options.fsync { try disk.syncDirectory(directory) }
        } catch {
            recordsWritten = savedCount
            do throws(StorageError) {
                try undo(to: saved, created: created)
            } catch let undoError {
                throw .unrecoverable(cause: error, undo: undoError)
            }
            throw .undone(error)
        }
    }

    enum AppendFailure: Error {
        /// The batch failed and was taken back off the disk.
        case undone(StorageError)
        /// The batch failed and the disk could not be put back as it was.
        case unrecoverable(cause: StorageError, undo: StorageError)
    }

    private mutating func add(_ record: Pending, to pending: inout [UInt8]) {
        pending.append(contentsOf: record.bytes)
        recordsWritten += 1
        if let index = record.entryIndex {
            segments[segments.count - 1].maxEntryIndex = max(segments[segments.count - 1].maxEntryIndex, index)
        }
    }

    private mutating func flush(_ pending: inout [UInt8]) throws(StorageError) {
        guard !pending.isEmpty else { return }
        let at = segments[segments.count - 1].size
        try file.write(pending, at: at)
        segments[segments.count - 1].size = at + pending.count
        pending = []
    }

    private mutating func sync() throws(StorageError) {
        guard options.fsync else { return }
        let elapsed = try file.sync().components
        lastFsyncSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        fsyncCount += 1
    }

    private mutating func undo(to saved: ([WALReplay.SegmentSummary], Bool), created: [String]) throws(StorageError) {
        if !created.isEmpty {
            file.close()
            for path in created.reversed() { try disk.removeIfPresent(path) }
            // Gone for good before the segment they continued is cut back: a crash that kept
            // them but not their removal would leave them after a gap in the log.
            if options.fsync { try disk.syncDirectory(directory) }
            let last = saved.0[saved.0.count - 1]
            file = try disk.openFile(last.path)
        }
        segments = saved.0
        hasBody = saved.1
        try file.truncate(to: segments[segments.count - 1].size)
        // Durably undone: a rollover may already have synced part of the batch, and a snapshot
        // the caller removes next must not stay named by a marker that comes back.
        try sync()
    }

    /// Deletes the oldest segments while every entry in them is at or below `index` (never the
    /// current one). Returns the deleted paths, and the error that stopped it, if any.
    mutating func removeSegments(coveredBy index: UInt64, sync: Bool) -> (removed: [String], failure: StorageError?) {
        var removed: [String] = []
        do throws(StorageError) {
            while segments.count > 1, segments[0].maxEntryIndex <= index {
                try disk.removeIfPresent(segments[0].path)
                removed.append(segments.removeFirst().path)
            }
            if !removed.isEmpty, sync { try disk.syncDirectory(directory) }
        } catch {
            return (removed, error)
        }
        return (removed, nil)
    }

    /// Forgets the oldest segments while every entry in them is at or below `index` (never the
    /// current one) and returns their paths, for the caller to delete outside its lock: deleting
    /// a large file can take milliseconds the Raft loop should not wait for.
    mutating func detachSegments(coveredBy index: UInt64) -> [String] {
        var detached: [String] = []
        while segments.count > 1, segments[0].maxEntryIndex <= index {
            detached.append(segments.removeFirst().path)
        }
        return detached
    }

    mutating func close() { file.close() }
}
