import Foundation
import NodeCore
import RaftCore
import Testing
import TestSupport
@testable import NodeStorage

/// Snapshot files written off the Raft loop (`NodeStorage.prepare`) and stored by a rename.
@Suite("Prepared snapshots")
struct PreparedSnapshotTests {
    @Test func aPreparedFileIsInPlaceBeforeItIsStoredAndStoringItSyncsNothing() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 11)
            let snap = gen.snapshot(index: 20, term: 1)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...30), snapshot: nil)
                let prepared = try storage.prepare(snap)
                // Written, synced and renamed off the loop: the file is the snapshot already.
                #expect(Disk.snapshots(dir) == [prepared.path])
                let written = try Data(contentsOf: URL(fileURLWithPath: prepared.path))
                let syncs = storage.stats.fsyncCount
                try storage.saveSnapshot(snap, prepared: prepared)
                // On the loop only the WAL's marker is written; the next batch's fsync carries it.
                #expect(storage.stats.fsyncCount == syncs)
                #expect(try Data(contentsOf: URL(fileURLWithPath: Disk.snapshots(dir)[0])) == written)
                storage.discard(prepared)
                #expect(Disk.snapshots(dir) == [prepared.path], "a stored snapshot is not discarded")
                try storage.save(hardState: nil, entries: entries(31...32), snapshot: nil)
                #expect(storage.stats.fsyncCount == syncs + 1)
            }
            let m = try reopen(dir)
            #expect(m.snapshot == snap)
            #expect(m.entries == entries(21...32))
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
                // Written afresh over it; discarding the mismatched one leaves the stored one.
                storage.discard(prepared)
                #expect(Disk.snapshots(dir).count == 1)
            }
            #expect(try reopen(dir).snapshot == snap)
        }
    }

    @Test func aSnapshotPreparedButNotStoredBeforeACrashIsTheBaseOnOpen() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 13)
            let snap = gen.snapshot(index: 20, term: 1)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...30), snapshot: nil)
                _ = try storage.prepare(snap)
            }
            // Its marker never written: the file is applied as the marker would have been.
            let m = try reopen(dir)
            #expect(m.snapshot == snap)
            #expect(m.entries == entries(21...30))
        }
    }

    /// A follower killed after the file of a snapshot from the leader was written off the loop,
    /// before its marker: the file is the base, and the log survives only where it has the
    /// snapshot's term at its index (as the marker would have judged), so the node goes on from it.
    @Test(arguments: [(index: 40, term: 1, kept: false), (index: 20, term: 2, kept: false), (index: 20, term: 1, kept: true)])
    func aLeadersSnapshotPreparedButNotStoredBeforeACrashIsTheBaseOnOpen(index: UInt64, term: UInt64, kept: Bool) throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 17)
            let snap = gen.snapshot(index: index, term: term)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: HardState(term: 2, vote: "n1", commit: 10), entries: entries(1...30), snapshot: nil)
                _ = try storage.prepare(snap)
            }
            var m = try reopen(dir)
            #expect(m.snapshot == snap)
            #expect(m.entries == (kept ? entries(index + 1...30) : []))
            #expect(m.hardState == HardState(term: 2, vote: "n1", commit: 10))
            let next = kept ? 31 : index + 1
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: HardState(term: 2, vote: "n1", commit: next), entries: entries(next...next, term: 2), snapshot: nil)
            }
            m = try reopen(dir)
            #expect(m.snapshot == snap)
            #expect(m.entries.last == entries(next...next, term: 2).last)
            #expect(m.entries.first?.index == index + 1)
        }
    }

    @Test func aPreparedSnapshotTheCoreDroppedIsDeleted() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 16)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...30), snapshot: nil)
                storage.discard(try storage.prepare(gen.snapshot(index: 20, term: 1)))
                #expect(Disk.snapshots(dir).isEmpty)
            }
            let m = try reopen(dir)
            #expect(m.snapshot == nil)
            #expect(m.entries == entries(1...30))
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
