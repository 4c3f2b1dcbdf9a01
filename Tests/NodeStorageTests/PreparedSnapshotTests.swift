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

    @Test func aPreparedFileLeftByACrashIsDeletedOnOpen() throws {
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
}
