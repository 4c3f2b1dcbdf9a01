import BinaryCoding
import Foundation
import RaftCore
import Testing
import TestSupport
@testable import NodeStorage

@Suite("Round trip")
struct RoundTripTests {
    @Test func emptyDirectoryOpensEmptyAndCreatesTheLayout() throws {
        try withTestDirectory { dir in
            let model = try reopen(dir + "/nested/data")
            #expect(model == Model())
            #expect(Disk.segments(dir + "/nested/data").map(Disk.name) == ["wal-0000000000000001.log"])
            #expect(FileManager.default.fileExists(atPath: dir + "/nested/data/snap"))
        }
    }

    @Test func batchesWithOverwritesAndHardStatesSurviveReopen() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 1)
            var model = Model()
            try withStorage(dir) { storage, _ in
                for _ in 0..<150 {
                    let b = gen.batch(for: model, snapshotChance: 0)
                    try storage.save(b)
                    model.apply(b)
                }
                #expect(storage.stats.fsyncCount > 0)
                #expect(storage.stats.recordsWritten > 150)
            }
            #expect(model.entries.count > 50)
            #expect(try reopen(dir) == model)
            // And again after appending to the reopened log.
            try withStorage(dir) { storage, state in
                #expect(Model(state) == model)
                let b = Batch(hardState: HardState(term: 99, vote: "n2", commit: 1),
                              entries: entries(2...4, term: 99), snapshot: nil)
                try storage.save(b)
                model.apply(b)
            }
            #expect(try reopen(dir) == model)
        }
    }

    @Test func explicitOverwriteTruncatesTheSuffix() throws {
        try withTestDirectory { dir in
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: HardState(term: 1, vote: "n1", commit: 0), entries: entries(1...10), snapshot: nil)
                try storage.save(hardState: nil, entries: entries(6...7, term: 2), snapshot: nil)
                try storage.save(hardState: HardState(term: 2, vote: nil, commit: 5), entries: [], snapshot: nil)
            }
            let m = try reopen(dir)
            #expect(m.entries == entries(1...5) + entries(6...7, term: 2))
            #expect(m.hardState == HardState(term: 2, vote: nil, commit: 5))
        }
    }

    @Test func segmentRolloverWithTinySegments() throws {
        try withTestDirectory { dir in
            let options = StorageOptions.with(segmentSize: 128)
            var gen = BatchGenerator(seed: 2)
            var model = Model()
            try withStorage(dir, options) { storage, _ in
                for _ in 0..<120 {
                    let b = gen.batch(for: model, snapshotChance: 0)
                    try storage.save(b)
                    model.apply(b)
                }
                #expect(storage.stats.segments == Disk.segments(dir).count)
                #expect(storage.stats.bytes == Disk.segments(dir).map(Disk.size).reduce(0, +))
            }
            let segments = Disk.segments(dir)
            #expect(segments.count > 10)
            #expect(segments.map(Disk.name) == (1...segments.count).map { "wal-\(hex16(UInt64($0))).log" })
            for path in segments.dropLast() {
                // Each segment is within its size unless it holds a header and one big record.
                let rs = records(path)
                #expect(Disk.size(path) <= 128 || rs.filter { if case .entry = $0.record { true } else { false } }.count <= 1)
                // Every segment opens with the snapshot in force and the hard state.
                if case .snapshot = rs.first?.record {} else { Issue.record("\(path) does not start with a marker") }
            }
            #expect(try reopen(dir, options) == model)
        }
    }

    @Test func snapshotThenMoreEntriesKeepsOnlyTheEntriesAfterIt() throws {
        try withTestDirectory { dir in
            let options = StorageOptions.with(segmentSize: 256)
            var gen = BatchGenerator(seed: 3)
            try withStorage(dir, options) { storage, _ in
                try storage.save(hardState: HardState(term: 1, vote: "n1", commit: 50), entries: entries(1...50), snapshot: nil)
                let before = Disk.segments(dir).count
                #expect(before > 3)
                try storage.saveSnapshot(gen.snapshot(index: 40, term: 1))
                try storage.save(hardState: HardState(term: 2, vote: "n1", commit: 55), entries: entries(51...60, term: 2), snapshot: nil)
                // Segments wholly below 40 are gone: the oldest left holds an entry after 40.
                let left = Disk.segments(dir)
                #expect(left.count < before + 2)
                #expect(Disk.name(left[0]) != "wal-0000000000000001.log")
                let firstEntries = records(left[0]).compactMap { if case .entry(let e) = $0.record { e.index } else { nil } }
                #expect(firstEntries.contains { $0 > 40 })
            }
            let m = try reopen(dir, options)
            #expect(m.snapshot?.metadata.index == 40)
            #expect(m.entries == entries(41...50) + entries(51...60, term: 2))
            #expect(m.hardState == HardState(term: 2, vote: "n1", commit: 55))
        }
    }

    @Test func onlyTheNewestTwoSnapshotsAreKept() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 4)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...30), snapshot: nil)
                for i: UInt64 in [10, 20, 25] { try storage.saveSnapshot(gen.snapshot(index: i, term: 1)) }
                #expect(storage.stats.snapshots == 2)
            }
            #expect(Disk.snapshots(dir).map(Disk.name) == ["snap-0000000000000014.bin", "snap-0000000000000019.bin"])
            let m = try reopen(dir)
            #expect(m.snapshot?.metadata.index == 25)
            #expect(m.entries == entries(26...30))
        }
    }

    @Test func randomBatchesWithSnapshotsAcrossManyReopens() async throws {
        try await heavy { () async throws in
            for seed: UInt64 in 10..<16 {
                try withTestDirectory { dir in
                    let options = StorageOptions.with(segmentSize: 300, fsync: seed % 2 == 0)
                    var gen = BatchGenerator(seed: seed)
                    var model = Model()
                    for _ in 0..<8 {
                        try withStorage(dir, options) { storage, state in
                            #expect(Model(state) == model, "seed \(seed)")
                            for _ in 0..<20 {
                                let b = gen.batch(for: model, snapshotChance: 0.15)
                                try storage.save(b)
                                model.apply(b)
                            }
                        }
                    }
                    #expect(try reopen(dir, options) == model, "seed \(seed)")
                }
            }
        }
    }

    @Test func snapshotFromLeaderReplacesADivergingLog() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 5)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...10), snapshot: nil)
                // The leader's snapshot at 8 has term 3: our entries 8... are from a dead term.
                try storage.save(hardState: HardState(term: 3, vote: nil, commit: 8), entries: entries(9...9, term: 3),
                                 snapshot: gen.snapshot(index: 8, term: 3))
            }
            let m = try reopen(dir)
            #expect(m.snapshot?.metadata.index == 8)
            #expect(m.entries == entries(9...9, term: 3))
        }
    }

    @Test func invalidSavesAreRefusedAndChangeNothing() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 6)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...5), snapshot: nil)
                try storage.saveSnapshot(gen.snapshot(index: 3, term: 1))
                let bad: [Batch] = [
                    Batch(hardState: nil, entries: entries(8...9), snapshot: nil), // gap
                    Batch(hardState: nil, entries: entries(2...3), snapshot: nil), // under the snapshot
                    Batch(hardState: nil, entries: entries(4...4) + entries(6...6), snapshot: nil), // not consecutive
                    Batch(hardState: nil, entries: [], snapshot: gen.snapshot(index: 2, term: 1)), // older snapshot
                    Batch(hardState: nil, entries: [], snapshot: gen.snapshot(index: 3, term: 9)), // same index, other term
                ]
                for b in bad {
                    #expect { try storage.save(b) } throws: { error in
                        if case .invalid = error as? StorageError { true } else { false }
                    }
                }
            }
            let m = try reopen(dir)
            #expect(m.snapshot?.metadata.index == 3)
            #expect(m.entries == entries(4...5))
        }
    }

    @Test func entryLargerThanASegmentIsRefused() throws {
        try withTestDirectory { dir in
            try withStorage(dir, .with(segmentSize: 100)) { storage, _ in
                #expect(throws: StorageError.self) { try storage.save(hardState: nil, entries: entries(1...1, size: 200), snapshot: nil) }
                try storage.save(hardState: nil, entries: entries(1...1, size: 20), snapshot: nil)
            }
            #expect(try reopen(dir, .with(segmentSize: 100)).entries == entries(1...1, size: 20))
        }
    }

    @Test func aSecondOpenOfTheSameDirectoryIsRefused() throws {
        try withTestDirectory { dir in
            try withStorage(dir) { _, _ in
                #expect { _ = try NodeStorage.open(directory: dir, options: StorageOptions(), logger: quiet) } throws: { error in
                    (error as? StorageError).map { "\($0)".contains("in use by another process") } ?? false
                }
            }
            _ = try reopen(dir) // released by close
        }
    }

    @Test func closedStorageRefusesWrites() throws {
        try withTestDirectory { dir in
            let (storage, _) = try NodeStorage.open(directory: dir, options: StorageOptions(), logger: quiet)
            storage.close()
            storage.close()
            #expect(throws: StorageError.invalid("the storage in \(dir) is closed")) {
                try storage.save(hardState: HardState(term: 1), entries: [], snapshot: nil)
            }
        }
    }

    @Test func invalidOptionsAreRefused() {
        #expect(throws: StorageError.self) {
            _ = try NodeStorage.open(directory: "/nonexistent", options: .with(segmentSize: 10), logger: quiet)
        }
    }
}
