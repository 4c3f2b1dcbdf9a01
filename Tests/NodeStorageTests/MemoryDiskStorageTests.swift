import BinaryCoding
import Glibc
import Logging
import RaftCore
import Testing
import TestSupport
@testable import NodeStorage

/// `NodeStorage` on a `MemoryDisk`: power cuts at any point of a save or an open, a full disk,
/// a failing fsync, one storage per directory. What a save returned from must always come back.
@Suite("Storage on a memory disk")
struct MemoryDiskStorageTests {
    let dir = "/data/n1"

    func isPowerCut(_ error: StorageError) -> Bool {
        if case .io(_, _, EIO) = error { return true }
        return false
    }

    func isNoSpace(_ error: any Error) -> Bool {
        guard case let .io(operation, _, errno) = error as? StorageError else { return false }
        return operation == "write to" && errno == ENOSPC && "\(error)".contains("No space left on device (errno 28)")
    }

    /// Opens on `disk`, checking that recovery logged nothing worse than a torn tail. Returns
    /// how many torn tails it cut off.
    func open(_ disk: MemoryDisk, _ options: StorageOptions) throws(StorageError) -> (NodeStorage, Model, tornTails: Int) {
        let log = LogCapture()
        let (storage, state) = try NodeStorage.open(directory: dir, disk: disk, options: options, logger: log.logger)
        #expect(log.at(.error).isEmpty, "\(log.at(.error).map(\.message))")
        let warnings = log.at(.warning)
        #expect(warnings.allSatisfy { $0.message.contains("ends in a torn write") }, "\(warnings.map(\.message))")
        return (storage, Model(state), warnings.count)
    }

    @Test func batchesWithRolloversAndSnapshotsSurviveReopenAndCrash() throws {
        let disk = MemoryDisk(seed: 1)
        let options = StorageOptions.with(segmentSize: 300)
        var gen = BatchGenerator(seed: 21)
        var acknowledged = Acknowledged()
        var candidates = [Model()]
        for round in 0..<10 {
            try withStorage(dir, options, on: disk) { storage, state in
                #expect(candidates.contains(Model(state)), "round \(round)")
                acknowledged = Acknowledged(Model(state))
                for _ in 0..<20 {
                    let b = gen.batch(for: acknowledged.model, snapshotChance: 0.15)
                    try storage.save(b)
                    acknowledged.apply(b)
                }
                #expect(storage.stats.segments == (try disk.list(dir + "/wal")).count)
            }
            // A closed process loses nothing; a power cut may cost an unsynced commit index.
            candidates = [acknowledged.model]
            if round % 2 == 1 {
                disk.crash()
                candidates = acknowledged.afterPowerCut
            }
        }
        #expect(try disk.list(dir) == ["LOCK", "snap", "wal"])
        #expect(try disk.list(dir + "/snap").count == 2)
        #expect(candidates.contains(try reopen(dir, options, on: disk)))
    }

    /// What one seeded run of power cuts went through.
    struct PowerCuts {
        var cutSaves = 0, cutOpens = 0, crashes = 0, tornTails = 0, partialBatches = 0

        static func + (a: PowerCuts, b: PowerCuts) -> PowerCuts {
            PowerCuts(cutSaves: a.cutSaves + b.cutSaves, cutOpens: a.cutOpens + b.cutOpens, crashes: a.crashes + b.crashes,
                      tornTails: a.tornTails + b.tornTails, partialBatches: a.partialBatches + b.partialBatches)
        }
    }

    /// Random saves (entries, overwrites, hard states, snapshots that keep or replace the log),
    /// with power cuts scheduled at random points inside saves and opens, and crashes between
    /// saves. After each cut, recovery must give back every save that returned, plus a prefix
    /// of the one cut short, without calling anything corrupt.
    func powerCuts(seed: Int) throws -> PowerCuts {
        var rng = SplitMix64(seed: 0xD15C_0000 + UInt64(seed))
        let disk = MemoryDisk(seed: rng.next())
        var gen = BatchGenerator(seed: rng.next(), maxData: 40)
        let options = StorageOptions.with(segmentSize: [96, 200, 4096][seed % 3])
        var candidates = [Model()]
        var counts = PowerCuts()
        // The saves not yet synced when the last storage closed without a crash: a reopen reads
        // them back but does not make them durable, so the next power cut may still take them.
        var carried: [Model] = []
        for round in 0..<150 {
            if rng.chance(0.1) { disk.crash(afterOperations: rng.below(12)) }
            let (storage, recovered, torn): (NodeStorage, Model, Int)
            do {
                (storage, recovered, torn) = try open(disk, options)
            } catch {
                #expect(isPowerCut(error), "seed \(seed) round \(round): \(error)")
                counts.cutOpens += 1
                disk.crash()
                carried = []
                continue
            }
            counts.tornTails += torn
            #expect(candidates.contains(recovered), "seed \(seed) round \(round): recovered \(recovered), expected one of \(candidates)")
            if recovered != candidates[0] { counts.partialBatches += 1 }
            var acknowledged = Acknowledged(recovered, unsynced: carried)
            candidates = acknowledged.afterPowerCut
            var cut = false
            for _ in 0..<(1 + rng.below(5)) {
                // Often right after the write, before its fsync: where torn tails come from.
                if rng.chance(0.3) { disk.crash(afterOperations: rng.chance(0.4) ? 1 : rng.below(14)) }
                let b = gen.batch(for: acknowledged.model, snapshotChance: 0.15)
                do {
                    // Half the snapshots go the way the node stores its own: prepared, renamed.
                    let prepared = b.snapshot != nil && rng.chance(0.5)
                    if prepared { try storage.savePrepared(b) } else { try storage.save(b) }
                    acknowledged.apply(b, prepared: prepared)
                    candidates = acknowledged.afterPowerCut
                } catch {
                    #expect(isPowerCut(error), "seed \(seed) round \(round): \(error)")
                    candidates = acknowledged.afterPowerCut + acknowledged.model.prefixes(of: b)
                    cut = true
                    break
                }
            }
            storage.close()
            if cut { counts.cutSaves += 1 }
            carried = acknowledged.unsynced
            if cut || rng.chance(0.5) {
                disk.crash()
                counts.crashes += 1
                carried = []
            }
        }
        disk.crash() // also cancels a cut scheduled in the last round that has not happened
        let (storage, last, _) = try open(disk, options)
        storage.close()
        #expect(candidates.contains(last), "seed \(seed)")
        return counts
    }

    @Test func everyAcknowledgedSaveSurvivesRandomPowerCuts() async throws {
        let total = try await heavy { () throws -> PowerCuts in
            try (0..<16).map { try powerCuts(seed: $0) }.reduce(PowerCuts(), +)
        }
        print("memory disk power cuts, 16 seeds: \(total.cutSaves) saves and \(total.cutOpens) opens cut, \(total.crashes) crashes, "
            + "\(total.tornTails) torn tails cut off, \(total.partialBatches) partial batches recovered")
        #expect(total.cutSaves > 500 && total.cutOpens > 100 && total.crashes > 1000)
        #expect(total.tornTails > 30, "cuts tore writes")
        #expect(total.partialBatches > 100, "cut saves left part of their batch")
    }

    @Test func aFullDiskFailsSavesRetryablyAndTheSameSaveSucceedsOnceSpaceReturns() throws {
        var failures = 0, crashedWhileFull = 0
        for seed: UInt64 in 0..<12 {
            var rng = SplitMix64(seed: 0xF0_11 + seed)
            let disk = MemoryDisk(seed: rng.next())
            let options = StorageOptions.with(segmentSize: [128, 512, 64 << 20][Int(seed % 3)])
            var gen = BatchGenerator(seed: rng.next())
            var (storage, model, _) = try open(disk, options)
            var acknowledged = Acknowledged(model)
            for step in 0..<60 {
                let b = gen.batch(for: acknowledged.model, snapshotChance: 0.15)
                // The last snapshot's compaction, which a prepare finishes first, is not this save's.
                try storage.finishDeferredCompaction()
                disk.faults.spaceLeft = rng.below(400)
                let before = storage.stats
                do {
                    // Half the snapshots go the way the node stores its own: prepared, renamed.
                    let prepared = b.snapshot != nil && rng.chance(0.5)
                    if prepared { try storage.savePrepared(b) } else { try storage.save(b) }
                    acknowledged.apply(b, prepared: prepared)
                    continue
                } catch {
                    #expect(isNoSpace(error), "seed \(seed) step \(step): \(error)")
                    #expect(error.isRetryable)
                    failures += 1
                }
                let after = storage.stats
                #expect(after.segments == before.segments && after.bytes == before.bytes && after.snapshots == before.snapshots,
                        "seed \(seed) step \(step): the failed save left nothing behind")
                if rng.chance(0.25) {
                    // The power fails while the disk is full: the failed save was undone durably.
                    storage.close()
                    disk.crash()
                    crashedWhileFull += 1
                    disk.faults.spaceLeft = nil
                    (storage, model, _) = try open(disk, options)
                    #expect(acknowledged.afterPowerCut.contains(model), "seed \(seed) step \(step)")
                    acknowledged = Acknowledged(model)
                } else {
                    disk.faults.spaceLeft = nil
                    try storage.save(b)
                    acknowledged.apply(b)
                }
            }
            disk.faults.spaceLeft = nil
            storage.close()
            disk.crash()
            #expect(acknowledged.afterPowerCut.contains(try reopen(dir, options, on: disk)), "seed \(seed)")
        }
        #expect(failures > 100 && crashedWhileFull > 20, "\(failures) failures, \(crashedWhileFull) crashes while full")
    }

    @Test func aFailedFsyncStopsWritesUntilRestart() throws {
        let disk = MemoryDisk(seed: 3)
        var model = Model()
        let batch = Batch(hardState: HardState(term: 2), entries: entries(4...6))
        try withStorage(dir, on: disk) { storage, _ in
            let first = Batch(hardState: HardState(term: 1), entries: entries(1...3))
            try storage.save(first)
            model.apply(first)
            disk.faults.failFsync = EIO
            let segment = dir + "/wal/" + (try disk.list(dir + "/wal").last ?? "")
            #expect(throws: StorageError.io(operation: "fsync", file: segment, errno: EIO)) { try storage.save(batch) }
            disk.faults.failFsync = nil
            #expect { try storage.save(batch) } throws: { "\($0)".contains("restart the node") }
        }
        #expect(try reopen(dir, on: disk) == model, "a restart finds the failed batch taken back")
        disk.crash()
        #expect(([model] + model.prefixes(of: batch)).contains(try reopen(dir, on: disk)))
    }

    /// A save that only moves the commit index is written but not synced, as Raft allows: a
    /// power cut may take the commit index back to the last synced one, never the term, the
    /// vote or an entry; the next sync makes it durable.
    @Test func aCommitOnlySaveIsNotSyncedAndAPowerCutMayCostOnlyTheCommit() throws {
        var lost = 0
        for seed: UInt64 in 0..<20 {
            let disk = MemoryDisk(seed: seed)
            var acknowledged = Acknowledged()
            let (storage, _) = try NodeStorage.open(directory: dir, disk: disk, logger: quiet)
            let synced = Batch(hardState: HardState(term: 3, vote: "n2", commit: 2), entries: entries(1...4, term: 3))
            try storage.save(synced)
            acknowledged.apply(synced)
            let fsyncs = storage.stats.fsyncCount
            for commit: UInt64 in 3...4 {
                let b = Batch(hardState: HardState(term: 3, vote: "n2", commit: commit))
                try storage.save(b)
                acknowledged.apply(b)
            }
            #expect(storage.stats.fsyncCount == fsyncs, "a commit-only save does not sync")
            disk.crash()
            let recovered = try reopen(dir, on: disk)
            #expect(acknowledged.afterPowerCut.contains(recovered), "seed \(seed): only the commit index may be lost")
            if recovered.hardState.commit < 4 { lost += 1 }

            // A new vote is synced at once, and so is a commit index that travels with entries.
            let (again, _) = try NodeStorage.open(directory: dir, disk: disk, logger: quiet)
            acknowledged = Acknowledged(recovered)
            let vote = Batch(hardState: HardState(term: 4, vote: "n1", commit: 2))
            try again.save(vote)
            acknowledged.apply(vote)
            #expect(again.stats.fsyncCount == 1)
            let withEntries = Batch(hardState: HardState(term: 4, vote: "n1", commit: 5), entries: entries(5...5, term: 4))
            try again.save(withEntries)
            acknowledged.apply(withEntries)
            #expect(again.stats.fsyncCount == 2)
            disk.crash()
            #expect(try reopen(dir, on: disk) == acknowledged.model, "seed \(seed)")
        }
        #expect(lost > 0, "some power cut took an unsynced commit index")
    }

    @Test func oneStorageAtATimePerDirectory() throws {
        let disk = MemoryDisk(seed: 4)
        let (first, _) = try NodeStorage.open(directory: dir, disk: disk, logger: quiet)
        #expect { _ = try NodeStorage.open(directory: dir, disk: disk, logger: quiet) } throws: { error in
            "\(error)".contains("is in use by another process")
        }
        try withStorage("/data/n2", on: disk) { _, _ in } // another directory on the same disk
        try first.save(hardState: HardState(term: 1), entries: entries(1...2), snapshot: nil)
        disk.crash() // the process holding the lock is gone with it
        try withStorage(dir, on: disk) { storage, state in
            #expect(state.entries == entries(1...2))
            #expect { try first.save(hardState: nil, entries: entries(3...3), snapshot: nil) } throws: { error in
                if case .io(_, _, EBADF) = error as? StorageError { true } else { false }
            }
            first.close() // must not release the lock the new storage holds
            #expect(throws: StorageError.self) { _ = try NodeStorage.open(directory: dir, disk: disk, logger: quiet) }
            try storage.save(hardState: nil, entries: entries(3...3), snapshot: nil)
        }
        #expect(try reopen(dir, on: disk).entries == entries(1...3))
    }

    @Test func theSameSeedAndCallsGiveTheSameDisk() throws {
        func run(seed: UInt64) throws -> [String: [UInt8]] {
            let disk = MemoryDisk(seed: seed)
            var gen = BatchGenerator(seed: 9)
            for round in 0..<12 {
                try withStorage(dir, .with(segmentSize: 160), on: disk) { storage, state in
                    var model = Model(state)
                    disk.crash(afterOperations: 3 + round % 7)
                    for _ in 0..<8 {
                        let b = gen.batch(for: model, snapshotChance: 0.1)
                        do { try storage.save(b) } catch { break }
                        model.apply(b)
                    }
                }
                disk.crash()
            }
            var files: [String: [UInt8]] = [:]
            for sub in ["/wal", "/snap"] {
                for name in try disk.list(dir + sub) { files[sub + "/" + name] = try disk.read(dir + sub + "/" + name, limit: .max).bytes }
            }
            return files
        }
        let a = try run(seed: 77)
        #expect(!a.isEmpty)
        #expect(try run(seed: 77) == a)
        #expect(try (78..<82).map { try run(seed: $0) }.contains { $0 != a }, "power cuts tear differently under other seeds")
    }
}
