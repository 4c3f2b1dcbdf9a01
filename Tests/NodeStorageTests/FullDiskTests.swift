import Foundation
import Glibc
import Logging
import RaftCore
import Testing
@testable import NodeStorage

/// A full disk is simulated with `DiskFaults` on the real disk, which makes the storage's own
/// `pwrite` write what fits and then fail with ENOSPC, as a real full disk does. (RLIMIT_FSIZE
/// would be real but is process-wide, and every test target shares one test process.)
@Suite("Full disk")
struct FullDiskTests {
    func isNoSpace(_ error: any Error, file: String? = nil) -> Bool {
        guard case let .io(operation, path, errno) = error as? StorageError else { return false }
        return operation == "write to" && errno == ENOSPC && (file == nil || path == file)
            && "\(error)".contains("No space left on device (errno 28)")
    }

    @Test func aWriteThatDoesNotFitIsUndoneAndRetriedOnceSpaceReturns() throws {
        try withTestDirectory { dir in
            let faults = DiskFaults()
            let options = StorageOptions()
            var model = Model()
            let log = LogCapture()
            try withStorage(dir, options, on: PosixDisk(faults: faults)) { storage, _ in
                let first = Batch(hardState: HardState(term: 1, vote: "n1", commit: 0), entries: entries(1...5))
                try storage.save(first)
                model.apply(first)
                let segment = Disk.segments(dir).last!
                let size = Disk.size(segment)

                let big = Batch(hardState: HardState(term: 1, vote: "n1", commit: 5), entries: entries(6...40, size: 50))
                for space in [0, 1, 9, 100, 1000] {
                    faults.spaceLeft = space
                    #expect { try storage.save(big) } throws: { isNoSpace($0, file: segment) }
                    #expect(Disk.size(segment) == size, "nothing of the failed batch is left (space \(space))")
                }
                #expect(StorageError.io(operation: "write to", file: segment, errno: ENOSPC).isRetryable)
                // Space returns.
                faults.spaceLeft = nil
                try storage.save(big)
                model.apply(big)
            }
            #expect(try reopen(dir, logger: log.logger) == model)
            #expect(log.at(.warning).isEmpty, "no torn tail: the failed batches were truncated away")
        }
    }

    @Test func aFailedRolloverRemovesTheNewSegments() throws {
        try withTestDirectory { dir in
            let faults = DiskFaults()
            let options = StorageOptions.with(segmentSize: 128)
            var model = Model()
            try withStorage(dir, options, on: PosixDisk(faults: faults)) { storage, _ in
                let first = Batch(hardState: HardState(term: 1), entries: entries(1...3, size: 20))
                try storage.save(first)
                model.apply(first)
                let before = Disk.segments(dir).map { ($0, Disk.size($0)) }
                let big = Batch(hardState: HardState(term: 2), entries: entries(4...30, size: 20))
                for space in [150, 400, 700] {
                    faults.spaceLeft = space
                    #expect { try storage.save(big) } throws: { isNoSpace($0) }
                    #expect(Disk.segments(dir).map { ($0, Disk.size($0)) }.elementsEqual(before) { $0 == $1 })
                    #expect(storage.stats.segments == before.count)
                }
                faults.spaceLeft = nil
                try storage.save(big)
                model.apply(big)
            }
            #expect(try reopen(dir, options) == model)
        }
    }

    @Test func aSnapshotThatDoesNotFitLeavesNoFileBehind() throws {
        try withTestDirectory { dir in
            let faults = DiskFaults()
            let options = StorageOptions()
            var gen = BatchGenerator(seed: 11)
            var model = Model()
            try withStorage(dir, options, on: PosixDisk(faults: faults)) { storage, _ in
                let first = Batch(hardState: HardState(term: 1, vote: nil, commit: 8), entries: entries(1...10))
                try storage.save(first)
                model.apply(first)
                let s = gen.snapshot(index: 8, term: 1)
                let snapshotSize = SnapshotFile.encode(s).count
                // Fails in the snapshot file, then in the WAL right after the snapshot file was written.
                for space in [10, snapshotSize + 3] {
                    faults.spaceLeft = space
                    #expect { try storage.saveSnapshot(s) } throws: { isNoSpace($0) }
                    #expect(Disk.snapshots(dir).isEmpty, "no snapshot or temp file left (space \(space))")
                }
                faults.spaceLeft = nil
                try storage.saveSnapshot(s)
                model.apply(snapshot: s)
            }
            #expect(try reopen(dir, options) == model)
        }
    }

    @Test func aFailedFsyncStopsWritesUntilRestart() throws {
        try withTestDirectory { dir in
            let faults = DiskFaults()
            let options = StorageOptions()
            var model = Model()
            try withStorage(dir, options, on: PosixDisk(faults: faults)) { storage, _ in
                let first = Batch(hardState: HardState(term: 1), entries: entries(1...3))
                try storage.save(first)
                model.apply(first)
                faults.failFsync = EIO
                #expect(throws: StorageError.io(operation: "fsync", file: Disk.segments(dir).last!, errno: EIO)) {
                    try storage.save(hardState: nil, entries: entries(4...4), snapshot: nil)
                }
                faults.failFsync = nil
                #expect { try storage.save(hardState: nil, entries: entries(4...4), snapshot: nil) } throws: { error in
                    "\(error)".contains("restart the node")
                }
            }
            #expect(try reopen(dir, options) == model)
        }
    }
}
