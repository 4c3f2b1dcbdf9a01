import Glibc
import Logging
import NodeCore
import RaftCore

/// The state behind `NodeStorage`'s lock: the open WAL, what is stored, and the rules for
/// changing it. Every method runs with the lock held.
struct StorageCore {
    let directory: String
    let walDirectory: String
    let snapDirectory: String
    let disk: any StorageDisk
    let options: StorageOptions
    let logger: Logger
    private var wal: WriteAheadLog
    private var lock: any DiskFile
    /// The snapshot in force (0 and 0 when none).
    private var baseIndex: UInt64
    private var baseTerm: UInt64
    /// Terms of the stored entries `baseIndex + 1 …`, to validate appends and judge snapshots.
    private var terms: [UInt64]
    private var hardState: HardState?
    /// Indexes of the snapshot files on disk.
    private var snapshotIndexes: Set<UInt64>
    /// A snapshot stored from a prepared file: the log below it is deleted later
    /// (`compactDeferred`), with the directory syncs off the Raft loop.
    private(set) var deferredCompaction: UInt64?
    private var closed = false
    /// Set when a failed write could not be undone (or an fsync failed): the disk no longer
    /// matches what this process believes, so it refuses further writes until reopened.
    private var poisoned: StorageError?

    private var lastIndex: UInt64 { baseIndex + UInt64(terms.count) }

    var stats: StorageStats {
        var s = StorageStats()
        s.segments = wal.segments.count
        s.bytes = wal.totalBytes
        s.snapshots = snapshotIndexes.count
        s.lastFsyncSeconds = wal.lastFsyncSeconds
        s.fsyncCount = wal.fsyncCount
        s.recordsWritten = wal.recordsWritten
        return s
    }

    // MARK: - Opening

    static func open(directory: String, disk: any StorageDisk, options: StorageOptions, logger: Logger)
        throws(StorageError) -> (StorageCore, PersistentState)
    {
        if let problem = options.problem { throw .invalid("invalid storage options: \(problem)") }
        var directory = directory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        let walDirectory = directory + "/wal"
        let snapDirectory = directory + "/snap"
        try makeDirectories(directory, on: disk)
        try disk.makeDirectory(walDirectory)
        try disk.makeDirectory(snapDirectory)
        var lock: any DiskFile
        do throws(StorageError) {
            lock = try disk.lock(directory + "/LOCK")
        } catch {
            if case .io("lock", _, EWOULDBLOCK) = error {
                throw .invalid("the data directory \(directory) is in use by another process (it holds \(directory)/LOCK); stop that node first")
            }
            throw error
        }
        do throws(StorageError) {
            if options.fsync { try disk.syncDirectory(directory) }
            return try recover(directory: directory, walDirectory: walDirectory, snapDirectory: snapDirectory,
                               disk: disk, options: options, logger: logger, lock: lock)
        } catch {
            lock.close()
            throw error
        }
    }

    private static func recover(
        directory: String, walDirectory: String, snapDirectory: String,
        disk: any StorageDisk, options: StorageOptions, logger: Logger, lock: any DiskFile
    ) throws(StorageError) -> (StorageCore, PersistentState) {
        // Read everything first; touch nothing on disk until recovery has succeeded.
        var segments: [WALReplay.Segment] = []
        for name in try disk.list(walDirectory) {
            guard let sequence = WriteAheadLog.sequence(fromName: name) else { continue }
            let path = walDirectory + "/" + name
            let limit = options.maxSegmentFileSize
            let (size, bytes) = try disk.read(path, limit: limit)
            guard let bytes else {
                throw .corrupt(file: path, offset: limit,
                               reason: "the segment is \(size) bytes, more than the \(limit) bytes a segment can reach with "
                                   + "segmentSize \(options.segmentSize) (if segmentSize was lowered since, raise it again)")
            }
            segments.append(WALReplay.Segment(sequence: sequence, path: path, bytes: bytes))
        }
        let replay = try WALReplay.replay(segments, maxRecordLength: options.maxSegmentFileSize)

        var candidates: [Recovery.SnapshotCandidate] = []
        var temporaries: [String] = []
        for name in try disk.list(snapDirectory) {
            if let index = SnapshotFile.index(fromName: name) {
                candidates.append(Recovery.SnapshotCandidate(index: index, path: snapDirectory + "/" + name))
            } else if name.hasSuffix(".bin.tmp") {
                temporaries.append(snapDirectory + "/" + name)
            }
        }
        let recovery = try Recovery.recover(wal: replay, snapshots: candidates, snapshotDirectory: snapDirectory) {
            (c) throws(StorageError) -> Snapshot in
            let (_, bytes) = try disk.read(c.path, limit: Int.max)
            let snapshot = try SnapshotFile.decode(bytes ?? [], path: c.path)
            guard snapshot.metadata.index == c.index else {
                throw .corrupt(file: c.path, offset: 0,
                               reason: "the file name says index \(c.index) but it holds a snapshot at index \(snapshot.metadata.index)")
            }
            return snapshot
        }

        // Repairs.
        if let torn = replay.tornTail, let last = replay.segments.last {
            logger.warning(
                "WAL segment \(last.path) ends in a torn write at offset \(torn.offset) (\(torn.reason)); truncating it there",
                metadata: ["file": "\(last.path)", "offset": "\(torn.offset)"])
        }
        var snapshotIndexes = Set(candidates.map(\.index))
        for (path, error) in recovery.skipped {
            logger.error(
                "snapshot \(path) is damaged (\(error.summary)); recovered from an older snapshot and the WAL, and renamed it to \(path).corrupt",
                metadata: ["file": "\(path)"])
            try disk.rename(path, to: path + ".corrupt")
            if let index = SnapshotFile.index(fromName: String(path.split(separator: "/").last ?? "")) {
                snapshotIndexes.remove(index)
            }
        }
        for path in temporaries { try? disk.remove(path) }
        if options.fsync, !recovery.skipped.isEmpty || !temporaries.isEmpty {
            try disk.syncDirectory(snapDirectory)
        }

        let state = recovery.state
        let base = state.snapshot?.metadata
        var core = StorageCore(
            directory: directory, walDirectory: walDirectory, snapDirectory: snapDirectory, disk: disk,
            options: options, logger: logger,
            wal: try WriteAheadLog(directory: walDirectory, disk: disk, options: options, segments: replay.segments),
            lock: lock, baseIndex: base?.index ?? 0, baseTerm: base?.term ?? 0, terms: state.entries.map(\.term),
            hardState: replay.hardState, snapshotIndexes: snapshotIndexes)

        // An empty current segment gets its header; a WAL that names another snapshot than the
        // one loaded is told which one is in force (so a later replay judges the log the same way).
        let header = StorageCore.header(baseIndex: core.baseIndex, baseTerm: core.baseTerm, hardState: core.hardState,
                                        keeps: recovery.restatement?.keepsLaterEntries ?? true)
        let first = core.wal.currentIsEmpty ? header : recovery.restatement.map { [WALRecord.snapshot($0)] } ?? []
        do throws(WriteAheadLog.AppendFailure) {
            try core.wal.append(first.map(pending)) { _ in header.map(pending) }
        } catch {
            core.wal.close() // the caller releases the lock
            switch error {
            case .undone(let e), .unrecoverable(let e, _): throw e
            }
        }
        if !replay.entries.isEmpty || replay.hardState != nil {
            logger.info("recovered storage", metadata: [
                "directory": "\(directory)", "snapshot": "\(core.baseIndex)", "lastIndex": "\(core.lastIndex)",
                "segments": "\(core.wal.segments.count)",
            ])
        }
        return (core, state)
    }

    private static func makeDirectories(_ path: String, on disk: any StorageDisk) throws(StorageError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            try disk.makeDirectory(current)
        }
    }

    /// The records that open a segment: the snapshot in force and the hard state.
    private static func header(baseIndex: UInt64, baseTerm: UInt64, hardState: HardState?, keeps: Bool = true) -> [WALRecord] {
        var records: [WALRecord] = [.snapshot(SnapshotMarker(index: baseIndex, term: baseTerm, keepsLaterEntries: keeps))]
        if let hardState { records.append(.hardState(hardState)) }
        return records
    }

    private static func pending(_ record: WALRecord) -> WriteAheadLog.Pending {
        var index: UInt64?
        if case .entry(let e) = record { index = e.index }
        return WriteAheadLog.Pending(bytes: record.encoded(), entryIndex: index)
    }

    // MARK: - Writing

    /// `prepared`: the snapshot's file, already written and synced off the loop
    /// (`NodeStorage.prepare`); used when it holds this very snapshot, already in place.
    mutating func save(
        hardState newHardState: HardState?, entries: [Entry], snapshot: Snapshot?, prepared: PreparedSnapshot? = nil
    ) throws(StorageError) {
        if closed { throw .invalid("the storage in \(directory) is closed") }
        if let poisoned {
            throw .invalid("the storage in \(directory) stopped accepting writes after a failure it could not undo "
                + "(\(poisoned)); restart the node to recover from what is on disk")
        }

        // Work out the new state and the records that get there, without touching anything (nor
        // copying `terms`: that would cost the length of the log on every save).
        var next = (baseIndex: baseIndex, baseTerm: baseTerm, droppedTerms: 0, hardState: hardState)
        var records: [WALRecord] = []
        var newSnapshot: Snapshot?
        if let s = snapshot {
            let m = s.metadata
            guard m.index > 0 else { throw .invalid("a snapshot must cover at least entry 1") }
            if m.index < baseIndex {
                throw .invalid("snapshot at index \(m.index) is older than the stored snapshot at index \(baseIndex)")
            }
            if m.index == baseIndex {
                guard m.term == baseTerm else {
                    throw .invalid("snapshot at index \(m.index) has term \(m.term) but the stored one has term \(baseTerm)")
                }
            } else {
                let keeps = m.index <= lastIndex && terms[Int(m.index - baseIndex - 1)] == m.term
                next.droppedTerms = keeps ? Int(m.index - baseIndex) : terms.count
                next.baseIndex = m.index
                next.baseTerm = m.term
                records.append(.snapshot(SnapshotMarker(index: m.index, term: m.term, keepsLaterEntries: keeps)))
                newSnapshot = s
            }
        }
        // Of the terms left after the snapshot, how many stay before the new entries.
        var keptTerms: Int?
        if let first = entries.first {
            for k in entries.indices.dropFirst() where entries[k].index != entries[k - 1].index &+ 1 {
                throw .invalid("entries to save are not consecutive: entry \(entries[k - 1].index) is followed by \(entries[k].index)")
            }
            let nextLast = next.baseIndex + UInt64(terms.count - next.droppedTerms)
            guard first.index > next.baseIndex else {
                throw .invalid("entry \(first.index) is already covered by the snapshot at index \(next.baseIndex)")
            }
            guard first.index - 1 <= nextLast else {
                throw .invalid("entry \(first.index) would leave a gap after the last stored entry \(nextLast)")
            }
            keptTerms = Int(first.index - next.baseIndex - 1)
            records.append(contentsOf: entries.map { .entry($0) })
        }
        if let h = newHardState {
            next.hardState = h
            records.append(.hardState(h))
        }
        guard !records.isEmpty else { return }
        let onlyCommit = records.count == 1 && newHardState.map { h in
            hardState.map { $0.term == h.term && $0.vote == h.vote } ?? false
        } ?? false

        let pending = records.map(StorageCore.pending)
        for (r, p) in zip(records, pending) where p.bytes.count - WALRecord.headerSize > options.segmentSize {
            let what = if case .entry(let e) = r { "entry \(e.index)" } else { "a record" }
            throw .invalid("\(what) encodes to \(p.bytes.count - WALRecord.headerSize) bytes, more than the segment size of \(options.segmentSize)")
        }
        // The header of a segment started before record i restates the state before record i.
        var headerState: [(UInt64, UInt64, HardState?)] = []
        var running = (baseIndex, baseTerm, hardState)
        for r in records {
            headerState.append(running)
            switch r {
            case .snapshot(let m): running.0 = m.index; running.1 = m.term
            case .hardState(let h): running.2 = h
            case .entry: break
            }
        }

        var snapshotPath: String?
        var inPlace = false
        if let s = newSnapshot {
            let path = snapDirectory + "/" + SnapshotFile.name(index: s.metadata.index)
            if let prepared, prepared.metadata == s.metadata, prepared.size == s.data.count, prepared.path == path {
                // Written, synced and renamed into place off the loop: only its marker is left,
                // and that needs no fsync of its own (see `NodeStorage.prepare`). A failure below
                // leaves the file to the host's `discard`.
                inPlace = true
            } else {
                snapshotPath = try SnapshotFile.write(s, directory: snapDirectory, disk: disk, options: options)
            }
        }
        let markerOnly = inPlace && records.count == 1
        do throws(WriteAheadLog.AppendFailure) {
            try wal.append(pending, sync: !onlyCommit && !markerOnly) { i in
                StorageCore.header(baseIndex: headerState[i].0, baseTerm: headerState[i].1, hardState: headerState[i].2)
                    .map(StorageCore.pending)
            }
        } catch {
            // Take the snapshot back too, or a restart would find it without its marker.
            var failure: StorageError
            var undone: Bool
            switch error {
            case .undone(let e): failure = e; undone = true
            case .unrecoverable(let e, let undo): failure = e; undone = false
                logger.error("could not undo a failed WAL write: \(undo)", metadata: ["directory": "\(directory)"])
            }
            if let snapshotPath {
                do throws(StorageError) {
                    try disk.removeIfPresent(snapshotPath)
                    if options.fsync { try disk.syncDirectory(snapDirectory) }
                } catch {
                    undone = false
                }
            }
            if case .io("fsync", _, let e) = failure, !failure.isRetryable {
                // After a failed fsync the kernel may have dropped the dirty pages: trust nothing in memory.
                logger.error("fsync failed with errno \(e); refusing further writes", metadata: ["directory": "\(directory)"])
                undone = false
            }
            if !undone { poisoned = failure }
            throw failure
        }

        baseIndex = next.baseIndex
        baseTerm = next.baseTerm
        terms.removeFirst(next.droppedTerms)
        if let keptTerms {
            terms.removeSubrange(keptTerms...)
            terms.append(contentsOf: entries.map(\.term))
        }
        hardState = next.hardState
        if let s = newSnapshot {
            if inPlace {
                snapshotIndexes.insert(s.metadata.index)
                deferredCompaction = s.metadata.index
            } else {
                deferredCompaction = nil
                compact(after: s.metadata.index, sync: options.fsync)
            }
        }
    }

    /// Deletes what the snapshot stored from a prepared file at `index` covers: WAL segments
    /// wholly below it and all but the newest two snapshot files. Returns the directories whose
    /// entries changed, for the caller to sync outside the lock (a deletion lost in a crash only
    /// leaves a file that the next compaction deletes).
    /// Whether a snapshot file at `index` is one this storage stored (or found on open).
    func holdsSnapshot(at index: UInt64) -> Bool { snapshotIndexes.contains(index) }

    /// Forgets what the snapshot stored from a prepared file at `index` covers (WAL segments
    /// wholly below it, all but the newest two snapshot files) and returns the files, for the
    /// caller to delete outside the lock.
    mutating func detachDeferred(index: UInt64) -> [String] {
        guard deferredCompaction == index, !closed else { return [] }
        deferredCompaction = nil
        snapshotIndexes.insert(index)
        var files = wal.detachSegments(coveredBy: index)
        for old in snapshotIndexes.sorted(by: >).dropFirst(2) {
            snapshotIndexes.remove(old)
            files.append(snapDirectory + "/" + SnapshotFile.name(index: old))
        }
        return files
    }

    /// Where `detachDeferred`'s files live.
    var walDirectoryPath: String { walDirectory }

    /// Deletes segments wholly below a new snapshot and all but the newest two snapshot files,
    /// syncing the directories when `sync`; returns the directories it changed. Failures only
    /// cost disk space, so they are logged, not thrown.
    @discardableResult
    private mutating func compact(after index: UInt64, sync: Bool) -> [String] {
        snapshotIndexes.insert(index)
        var changed: [String] = []
        let (removed, failure) = wal.removeSegments(coveredBy: index, sync: sync)
        if !removed.isEmpty { changed.append(walDirectory) }
        if let failure { logger.warning("could not delete an old WAL segment: \(failure)") }
        if !removed.isEmpty { logger.debug("deleted WAL segments below snapshot \(index)", metadata: ["files": "\(removed)"]) }
        var deleted = false
        for old in snapshotIndexes.sorted(by: >).dropFirst(2) {
            let path = snapDirectory + "/" + SnapshotFile.name(index: old)
            do throws(StorageError) {
                try disk.removeIfPresent(path)
                snapshotIndexes.remove(old)
                deleted = true
            } catch {
                logger.warning("could not delete old snapshot: \(error)")
            }
        }
        if deleted { changed.append(snapDirectory) }
        if deleted, sync {
            do throws(StorageError) {
                try disk.syncDirectory(snapDirectory)
            } catch {
                logger.warning("could not sync \(snapDirectory): \(error)")
            }
        }
        return changed
    }

    mutating func close() {
        guard !closed else { return }
        closed = true
        wal.close()
        lock.close()
    }
}
