import Logging
import RaftCore
@testable import NodeStorage

extension NodeStorage {
    func save(_ batch: Batch) throws(StorageError) {
        try save(hardState: batch.hardState, entries: batch.entries, snapshot: batch.snapshot)
    }

    /// `save`, with the batch's snapshot file written first as a prepared file (as the node
    /// does off its loop), then the batch stored with it.
    func savePrepared(_ batch: Batch) throws(StorageError) {
        // As the node does: a file that cannot be prepared is written by the save itself.
        let prepared = batch.snapshot.flatMap { try? prepare($0) }
        defer { if let prepared { discard(prepared) } }
        try save(hardState: batch.hardState, entries: batch.entries, snapshot: batch.snapshot, prepared: prepared)
    }
}

extension StorageOptions {
    static func with(segmentSize: Int = 64 << 20, fsync: Bool = true) -> StorageOptions {
        var o = StorageOptions()
        o.segmentSize = segmentSize
        o.fsync = fsync
        return o
    }
}

/// A logger that drops everything, for tests that don't look at logs.
let quiet = Logger(label: "NodeStorageTests") { _ in SwiftLogNoOpLogHandler() }

/// Opens (on the real disk unless told otherwise), runs `body`, closes.
@discardableResult
func withStorage<R>(
    _ dir: String, _ options: StorageOptions = StorageOptions(), on disk: any StorageDisk = PosixDisk(),
    logger: Logger = quiet, _ body: (NodeStorage, PersistentState) throws -> R
) throws -> R {
    let (storage, state) = try NodeStorage.open(directory: dir, disk: disk, options: options, logger: logger)
    defer { storage.close() }
    return try body(storage, state)
}

/// Recovers what is on the disk now.
func reopen(_ dir: String, _ options: StorageOptions = StorageOptions(), on disk: any StorageDisk = PosixDisk(),
            logger: Logger = quiet) throws -> Model {
    try withStorage(dir, options, on: disk, logger: logger) { _, state in Model(state) }
}

func entries(_ range: ClosedRange<UInt64>, term: UInt64 = 1, size: Int = 8) -> [Entry] {
    range.map { i in
        Entry(index: i, term: term, kind: .normal, data: (0..<size).map { UInt8(truncatingIfNeeded: Int(i) &+ $0) }, hash: i &* 31)
    }
}

/// The records of a segment file and where each starts.
func records(_ path: String) -> [(offset: Int, record: WALRecord)] {
    WALSegmentReader.scan(Disk.read(path), maxRecordLength: 1 << 30).records
}

/// Runs `body`, expecting `.corrupt`; returns its file and offset.
func expectCorrupt(_ body: () throws -> Void) -> (file: String, offset: Int, error: StorageError)? {
    do {
        try body()
    } catch let error as StorageError {
        if case let .corrupt(file, offset, _) = error { return (file, offset, error) }
        return nil
    } catch {
        return nil
    }
    return nil
}
