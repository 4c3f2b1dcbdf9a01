import Foundation
import NodeCore
import RaftCore
import Testing
import TestSupport
@testable import NodeStorage

/// Snapshot files written off the Raft loop (`NodeStorage.prepare`) and stored by a rename.
@Suite("Prepared snapshots")
struct PreparedSnapshotTests {
    @Test func aPreparedFileIsRenamedIntoPlaceAndSurvivesReopen() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 11)
            let snap = gen.snapshot(index: 20, term: 1)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...30), snapshot: nil)
                let prepared = try storage.prepare(snap)
                #expect(FileManager.default.fileExists(atPath: prepared.path))
                let written = try Data(contentsOf: URL(fileURLWithPath: prepared.path))
                try storage.saveSnapshot(snap, prepared: prepared)
                // The very file that was prepared is the snapshot now; the temporary is gone.
                #expect(!FileManager.default.fileExists(atPath: prepared.path))
                #expect(Disk.snapshots(dir).map(Disk.name) == ["snap-0000000000000014.bin"])
                #expect(try Data(contentsOf: URL(fileURLWithPath: Disk.snapshots(dir)[0])) == written)
                storage.discard(prepared)
            }
            let m = try reopen(dir)
            #expect(m.snapshot == snap)
            #expect(m.entries == entries(21...30))
        }
    }

    @Test func aPreparedFileForAnotherSnapshotIsNotUsed() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 12)
            let snap = gen.snapshot(index: 20, term: 1)
            var other = snap
            other.metadata.hash &+= 1
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...30), snapshot: nil)
                let prepared = try storage.prepare(other)
                try storage.saveSnapshot(snap, prepared: prepared)
                // Written afresh; the mismatched file waits for the host to discard it.
                #expect(FileManager.default.fileExists(atPath: prepared.path))
                storage.discard(prepared)
                #expect(!FileManager.default.fileExists(atPath: prepared.path))
            }
            #expect(try reopen(dir).snapshot == snap)
        }
    }

    @Test func aSnapshotPreparedButNotStoredBeforeACrashIsDeletedOnOpen() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 13)
            var path = ""
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...30), snapshot: nil)
                path = try storage.prepare(gen.snapshot(index: 20, term: 1)).path
            }
            #expect(FileManager.default.fileExists(atPath: path))
            let m = try reopen(dir)
            #expect(m.snapshot == nil)
            #expect(m.entries == entries(1...30))
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(Disk.snapshots(dir).isEmpty)
        }
    }

    @Test func aTemporaryLeftByACrashIsDeletedOnOpen() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 15)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...30), snapshot: nil)
            }
            let path = SnapshotFile.preparedPath(index: 20, directory: dir + "/snap")
            try Data(SnapshotFile.encode(gen.snapshot(index: 20, term: 1))).write(to: URL(fileURLWithPath: path))
            let m = try reopen(dir)
            #expect(m.snapshot == nil)
            #expect(m.entries == entries(1...30))
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func theLogBelowIsDeletedOffTheLoopBeforeTheNextSnapshot() throws {
        try withTestDirectory { dir in
            let options = StorageOptions.with(segmentSize: 256)
            var gen = BatchGenerator(seed: 14)
            let snap = gen.snapshot(index: 40, term: 1)
            var before = 0
            try withStorage(dir, options) { storage, _ in
                try storage.save(hardState: HardState(term: 1, vote: "n1", commit: 50), entries: entries(1...50), snapshot: nil)
                before = Disk.segments(dir).count
                #expect(before > 3)
                try storage.saveSnapshot(snap, prepared: try storage.prepare(snap))
                // Stored, but nothing deleted yet: that waits for the next prepare, off the loop.
                #expect(Disk.segments(dir).count >= before)
            }
            // A restart at this point (a crash, as far as the files go) recovers from the snapshot.
            var m = try reopen(dir, options)
            #expect(m.snapshot == snap)
            #expect(m.entries == entries(41...50))
            try withStorage(dir, options) { storage, _ in
                try storage.finishDeferredCompaction()
                #expect(Disk.segments(dir).count >= before, "a reopened storage has nothing deferred")
                try storage.save(hardState: nil, entries: entries(51...60), snapshot: nil)
                let next = gen.snapshot(index: 55, term: 1)
                try storage.saveSnapshot(next, prepared: try storage.prepare(next))
                try storage.finishDeferredCompaction()
                let left = Disk.segments(dir)
                #expect(left.count < before)
                let firstEntries = records(left[0]).compactMap { if case .entry(let e) = $0.record { e.index } else { nil } }
                #expect(firstEntries.contains { $0 > 55 })
            }
            m = try reopen(dir, options)
            #expect(m.snapshot?.metadata.index == 55)
            #expect(m.entries == entries(56...60))
        }
    }
}
