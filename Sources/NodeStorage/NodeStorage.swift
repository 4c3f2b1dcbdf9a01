import Logging
import NodeCore
import RaftCore
import Synchronization

/// A node's durable storage: a write-ahead log of entries and hard states plus snapshot
/// files (format in `WriteAheadLog`). The runtime hands it each `Ready`'s snapshot, entries and
/// hard state with `save`, which returns only once they are fsynced; then it may send messages.
///
/// Thread-safe: calls are serialized by a lock, and `stats` never waits behind an fsync.
/// Only one storage at a time may have a data directory open (a lock on `LOCK`: an flock on
/// the real disk). Every file operation goes through a `StorageDisk`, so the same code runs on
/// the real disk (`PosixDisk`) and on a simulator's `MemoryDisk`.
public final class NodeStorage: Sendable {
    private let core: Mutex<StorageCore>
    private let counters: Mutex<StorageStats>
    /// For writing prepared snapshot files without the lock (immutable copies of the core's).
    private let disk: any StorageDisk
    private let snapDirectory: String
    private let options: StorageOptions
    private let logger: Logger

    private init(core: consuming sending StorageCore) {
        let stats = core.stats
        logger = core.logger
        disk = core.disk
        snapDirectory = core.snapDirectory
        options = core.options
        self.core = Mutex(core)
        counters = Mutex(stats)
    }

    /// Opens (creating if needed) the data directory and recovers what it holds: the newest
    /// valid snapshot, then the WAL replayed on top. A torn write at the end of the last WAL
    /// segment is cut off with a warning on `logger`; any other damage throws `.corrupt`
    /// naming the file and offset. A damaged newest snapshot is set aside (renamed
    /// `….corrupt`) only when an older one plus the WAL still cover every entry; otherwise
    /// its `.corrupt` error is thrown.
    public static func open(directory: String, options: StorageOptions = StorageOptions(), logger: Logger)
        throws(StorageError) -> (NodeStorage, PersistentState)
    {
        try open(directory: directory, disk: PosixDisk(), options: options, logger: logger)
    }

    /// Opens the data directory on `disk` and recovers it, as `open(directory:options:logger:)`
    /// does on the real disk: a simulator passes a `MemoryDisk` and reopens on it after a crash.
    public static func open(
        directory: String, disk: any StorageDisk, options: StorageOptions = StorageOptions(), logger: Logger
    ) throws(StorageError) -> (NodeStorage, PersistentState) {
        let (core, state) = try StorageCore.open(directory: directory, disk: disk, options: options, logger: logger)
        return (NodeStorage(core: core), state)
    }

    /// Makes one `Ready`'s durable state durable with one fsync (plus one per segment rollover):
    /// `snapshot` first (as `saveSnapshot`), then `entries` (an entry at index i replaces every
    /// stored entry at or after i), then `hardState`. A batch that only moves the commit index
    /// is written but not synced (the next sync carries it): Raft's commit index may be lost in
    /// a power cut, since a node learns it again from the leader, while a term or a vote may not.
    ///
    /// On a write error it throws `.io` and leaves the disk as it was before the call, so the
    /// node can keep serving reads and retry once space returns (`StorageError.isRetryable`).
    /// If the disk cannot be put back, or an fsync fails with anything but a lack of space,
    /// every later call throws `.invalid` until the node restarts and recovers from disk.
    /// Throws `.invalid` for entries that leave a gap or fall under the snapshot.
    public func save(hardState: HardState?, entries: [Entry], snapshot: Snapshot?) throws(StorageError) {
        try perform { (c: inout StorageCore) throws(StorageError) in
            try c.save(hardState: hardState, entries: entries, snapshot: snapshot)
        }
    }

    /// Writes a snapshot atomically (temp file, fsync, rename, fsync of the directory), logs it
    /// in the WAL, then deletes WAL segments wholly below it and all but the newest two
    /// snapshot files. Stored entries after it are kept when the log has the snapshot's term at
    /// its index (a local compaction) and dropped otherwise (a snapshot from the leader that
    /// replaces a diverging log). The snapshot already stored (same index and term) is not
    /// written again; an older one throws `.invalid`.
    public func saveSnapshot(_ snapshot: Snapshot) throws(StorageError) {
        try save(hardState: nil, entries: [], snapshot: snapshot)
    }

    /// Writes `snapshot`'s whole file, syncs it, renames it into place and syncs the directory,
    /// all without taking the lock: the host calls it off the Raft loop, so storing the snapshot
    /// (`saveSnapshot(_:prepared:)`) is only the WAL's marker, which rides the next batch's
    /// fsync. A snapshot file without its marker is already a valid base: it holds applied
    /// (so committed) state, the WAL still has every entry after it, and `Recovery` applies it
    /// as its marker would have. First it finishes the compaction of the previous one.
    public func prepare(_ snapshot: Snapshot) throws(StorageError) -> PreparedSnapshot {
        try finishDeferredCompaction()
        let index = snapshot.metadata.index
        let temp = try SnapshotFile.writeTemporary(
            snapshot, at: SnapshotFile.preparedPath(index: index, directory: snapDirectory), disk: disk, options: options)
        // Under the lock, so a snapshot the loop stores at this index meanwhile is never replaced.
        let path = snapDirectory + "/" + SnapshotFile.name(index: index)
        let renamed = core.withLock { (c: inout StorageCore) -> StorageError? in
            if c.holdsSnapshot(at: index) { return .invalid("a snapshot at index \(index) is already stored") }
            do throws(StorageError) { try disk.rename(temp, to: path) } catch { return error }
            return nil
        }
        if let renamed {
            try? disk.remove(temp)
            throw renamed
        }
        // A failed sync leaves a file that is either absent after a crash or whole: both are fine.
        if options.fsync { try disk.syncDirectory(snapDirectory) }
        return PreparedSnapshot(metadata: snapshot.metadata, size: snapshot.data.count, path: path)
    }

    /// Deletes what the last snapshot stored from a prepared file covers, with the deletions and
    /// the directory fsyncs outside the lock so the Raft loop's appends never wait behind them.
    /// A file whose deletion fails, or is lost in a crash, is only old data the next open skips.
    public func finishDeferredCompaction() throws(StorageError) {
        guard let index = core.withLock({ $0.deferredCompaction }) else { return }
        let (files, walDirectory) = core.withLock { ($0.detachDeferred(index: index), $0.walDirectoryPath) }
        var changed: Set<String> = []
        for path in files {
            do throws(StorageError) {
                try disk.removeIfPresent(path)
                changed.insert(path.hasPrefix(walDirectory + "/") ? walDirectory : snapDirectory)
            } catch {
                logger.warning("could not delete \(path) below snapshot \(index): \(error)")
            }
        }
        if options.fsync {
            for directory in changed.sorted() { try disk.syncDirectory(directory) }
        }
        let stats = core.withLock { $0.stats }
        counters.withLock { $0 = stats }
    }

    /// Deletes a prepared file that was not stored (the core dropped it, or its marker could
    /// not be written), so a restart does not take it up; a no-op once it was stored, or when
    /// another snapshot at its index was. Runs on the loop, and only on that rare path.
    public func discard(_ prepared: PreparedSnapshot) {
        guard !core.withLock({ $0.holdsSnapshot(at: prepared.metadata.index) }) else { return }
        guard (try? disk.removeIfPresent(prepared.path)) != nil else { return }
        if options.fsync { try? disk.syncDirectory(snapDirectory) }
    }

    /// `saveSnapshot`, from `prepared` when it holds this very snapshot in place: then only the
    /// WAL's marker is written here.
    public func saveSnapshot(_ snapshot: Snapshot, prepared: PreparedSnapshot?) throws(StorageError) {
        try save(hardState: nil, entries: [], snapshot: snapshot, prepared: prepared)
    }

    /// `save`, with the snapshot's file taken from `prepared` when it holds this very snapshot.
    public func save(hardState: HardState?, entries: [Entry], snapshot: Snapshot?, prepared: PreparedSnapshot?) throws(StorageError) {
        try perform { (c: inout StorageCore) throws(StorageError) in
            try c.save(hardState: hardState, entries: entries, snapshot: snapshot, prepared: prepared)
        }
    }

    public var stats: StorageStats { counters.withLock { $0 } }

    /// Closes the files and releases the directory lock; later saves throw `.invalid`.
    public func close() {
        core.withLock { $0.close() }
    }

    deinit {
        core.withLock { $0.close() }
    }

    private func perform(_ body: (inout StorageCore) throws(StorageError) -> Void) throws(StorageError) {
        let (stats, failure) = core.withLock { (c: inout StorageCore) -> (StorageStats, StorageError?) in
            do throws(StorageError) {
                try body(&c)
                return (c.stats, nil)
            } catch {
                return (c.stats, error)
            }
        }
        counters.withLock { $0 = stats }
        if let failure { throw failure }
    }
}
