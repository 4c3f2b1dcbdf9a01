import Foundation
import Logging
import RaftCore
import Testing
@testable import NodeStorage

@Suite("Corruption")
struct CorruptionTests {
    @Test func everyFlippedByteInAMiddleRecordIsReportedAtThatRecord() throws {
        try withTestDirectory { dir in
            try withStorage(dir) { storage, _ in
                for i: UInt64 in 1...20 { try storage.save(hardState: nil, entries: entries(i...i), snapshot: nil) }
            }
            let segment = Disk.segments(dir).last!
            let rs = records(segment)
            let k = rs.firstIndex { if case .entry(let e) = $0.record { e.index == 10 } else { false } }!
            let (start, end) = (rs[k].offset, rs[k + 1].offset)
            let original = Disk.read(segment)
            for byte in start..<end {
                Disk.flipBit(segment, byte: byte, bit: byte % 8)
                let found = expectCorrupt { _ = try reopen(dir) }
                #expect(found?.file == segment, "byte \(byte)")
                #expect(found?.offset == start, "byte \(byte)")
                if let error = found?.error {
                    #expect("\(error)".contains("restore this node's data from a peer"))
                    #expect("\(error)".contains("offset \(start)"))
                }
                #expect(Disk.read(segment) == original.enumerated().map { $0 == byte ? $1 ^ UInt8(1 << (byte % 8)) : $1 },
                        "a failed open changes nothing")
                Disk.write(segment, original)
            }
            #expect(try reopen(dir).entries.count == 20)
        }
    }

    @Test func damageInANonLastSegmentIsNeverATornTail() throws {
        try withTestDirectory { dir in
            let options = StorageOptions.with(segmentSize: 128)
            try withStorage(dir, options) { storage, _ in
                for i: UInt64 in 1...20 { try storage.save(hardState: nil, entries: entries(i...i, size: 20), snapshot: nil) }
            }
            let segments = Disk.segments(dir)
            #expect(segments.count > 3)
            let victim = segments[1]
            let lastRecord = records(victim).last!.offset
            let original = Disk.read(victim)

            Disk.flipBit(victim, byte: original.count - 1, bit: 0)
            let flipped = expectCorrupt { _ = try reopen(dir, options) }
            #expect(flipped?.file == victim)
            #expect(flipped?.offset == lastRecord)
            if let error = flipped?.error { #expect("\(error)".contains("not the newest segment")) }

            Disk.write(victim, Array(original.dropLast(5)))
            let cut = expectCorrupt { _ = try reopen(dir, options) }
            #expect(cut?.file == victim)
            #expect(cut?.offset == lastRecord)

            Disk.write(victim, original)
            try FileManager.default.removeItem(atPath: segments[2])
            let missing = expectCorrupt { _ = try reopen(dir, options) }
            #expect(missing?.file == segments[3])
            if let error = missing?.error { #expect("\(error)".contains("is missing")) }
        }
    }

    @Test func aBadRecordFollowedByValidOnesInTheLastSegmentIsCorruption() throws {
        try withTestDirectory { dir in
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...5), snapshot: nil)
            }
            let segment = Disk.segments(dir).last!
            let rs = records(segment)
            let victim = rs[rs.count - 2].offset // entry 4's record; entry 5 follows
            // Make the length run past the end of the file: looks torn, but entry 5 is valid.
            var bytes = Disk.read(segment)
            bytes[victim + 2] = 0x10
            Disk.write(segment, bytes)
            let found = expectCorrupt { _ = try reopen(dir) }
            #expect(found?.file == segment)
            #expect(found?.offset == victim)
        }
    }

    @Test func checksumValidButUndecodableRecordIsCorruptionEvenAtTheEnd() throws {
        try withTestDirectory { dir in
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: nil, entries: entries(1...3), snapshot: nil)
            }
            let segment = Disk.segments(dir).last!
            let end = Disk.size(segment)
            Disk.write(segment, Disk.read(segment) + WALRecord.frame(kind: 1, payload: [0xff, 0xff]))
            let found = expectCorrupt { _ = try reopen(dir) }
            #expect(found?.offset == end)
            Disk.write(segment, Array(Disk.read(segment).prefix(end)) + WALRecord.frame(kind: 42, payload: [1]))
            #expect(expectCorrupt { _ = try reopen(dir) }?.offset == end)
        }
    }

    @Test func aGapBetweenEntriesIsReportedWhereTheLogResumes() throws {
        try withTestDirectory { dir in
            _ = try reopen(dir)
            let segment = Disk.segments(dir).last!
            var bytes = Disk.read(segment)
            for e in entries(1...2) + entries(4...5) { bytes += WALRecord.entry(e).encoded() }
            Disk.write(segment, bytes)
            let offset = records(segment).first { if case .entry(let e) = $0.record { e.index == 4 } else { false } }!.offset
            let found = expectCorrupt { _ = try reopen(dir) }
            #expect(found?.file == segment)
            #expect(found?.offset == offset)
            if let error = found?.error { #expect("\(error)".contains("entries 3...3 are missing")) }
        }
    }

    @Test func aDamagedOnlySnapshotIsFatalOnceTheWALNoLongerCoversIt() throws {
        try withTestDirectory { dir in
            let options = StorageOptions.with(segmentSize: 200)
            var gen = BatchGenerator(seed: 7)
            try withStorage(dir, options) { storage, _ in
                try storage.save(hardState: HardState(term: 1, vote: nil, commit: 30), entries: entries(1...30), snapshot: nil)
                try storage.saveSnapshot(gen.snapshot(index: 30, term: 1))
                try storage.save(hardState: nil, entries: entries(31...32), snapshot: nil)
            }
            let snap = Disk.snapshots(dir).last!
            #expect(Disk.name(snap) == "snap-000000000000001e.bin")
            let original = Disk.read(snap)
            for byte in [0, 4, 6, original.count / 2, original.count - 1] {
                Disk.flipBit(snap, byte: byte, bit: 3)
                let found = expectCorrupt { _ = try reopen(dir, options) }
                #expect(found?.file == snap, "byte \(byte)")
                if let found {
                    // Named by file and offset: the checksum's offset, where the damage shows.
                    #expect(found.offset == original.count - 4, "byte \(byte)")
                    #expect("\(found.error)".contains("\(snap) is corrupt at offset \(found.offset)"))
                }
                if let error = found?.error {
                    #expect("\(error)".contains("checksum mismatch"))
                    #expect("\(error)".contains("restore this node's data from a peer"))
                }
                Disk.write(snap, original)
            }
            // A missing snapshot the WAL refers to is just as fatal.
            try FileManager.default.removeItem(atPath: snap)
            let missing = expectCorrupt { _ = try reopen(dir, options) }
            #expect(missing?.file == snap)
            Disk.write(snap, original)
            #expect(try reopen(dir, options).entries == entries(31...32))
        }
    }

    @Test func aDamagedNewestSnapshotFallsBackWhenTheWALStillCoversTheGap() throws {
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 8)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: HardState(term: 1, vote: nil, commit: 25), entries: entries(1...30), snapshot: nil)
                try storage.saveSnapshot(gen.snapshot(index: 10, term: 1))
                try storage.saveSnapshot(gen.snapshot(index: 20, term: 1))
            }
            let newest = Disk.snapshots(dir).last!
            Disk.flipBit(newest, byte: 9, bit: 1)
            let log = LogCapture()
            try withStorage(dir, logger: log.logger) { storage, state in
                #expect(state.snapshot?.metadata.index == 10)
                #expect(state.entries == entries(11...30))
                #expect(log.at(.error).contains { $0.message.contains(newest) })
                #expect(FileManager.default.fileExists(atPath: newest + ".corrupt"))
                try storage.save(hardState: nil, entries: entries(31...31), snapshot: nil)
            }
            let m = try reopen(dir)
            #expect(m.snapshot?.metadata.index == 10)
            #expect(m.entries == entries(11...31))
        }
    }

    @Test(arguments: [true, false], [64 << 20, 96])
    func snapshotWrittenJustBeforeACrashAppliesWithoutItsMarker(matching: Bool, segmentSize: Int) throws {
        // The snapshot file is renamed into place before its marker reaches the WAL.
        try withTestDirectory { dir in
            let options = StorageOptions.with(segmentSize: segmentSize)
            var gen = BatchGenerator(seed: 9)
            let hard = HardState(term: 1, vote: "n1", commit: 4)
            try withStorage(dir, options) { storage, _ in
                try storage.save(hardState: hard, entries: entries(1...10), snapshot: nil)
            }
            let s = gen.snapshot(index: 6, term: matching ? 1 : 5)
            _ = try SnapshotFile.write(s, directory: dir + "/snap", disk: PosixDisk(), options: StorageOptions())
            try withStorage(dir, options) { storage, state in
                #expect(state.snapshot == s)
                #expect(state.entries == (matching ? entries(7...10) : []))
                try storage.save(hardState: nil, entries: entries(7...8, term: 5), snapshot: nil)
            }
            var m = try reopen(dir, options)
            #expect(m.snapshot == s)
            #expect(m.entries == entries(7...8, term: 5))
            // A snapshot past every stale entry deletes all older segments: the hard state must
            // survive in the headers of the newer ones.
            let s2 = gen.snapshot(index: 10, term: 5)
            try withStorage(dir, options) { storage, _ in try storage.saveSnapshot(s2) }
            m = try reopen(dir, options)
            #expect(m.snapshot == s2)
            #expect(m.entries.isEmpty)
            #expect(m.hardState == hard)
        }
    }

    @Test func aSnapshotAheadOfTheLogWrittenJustBeforeACrashReplacesTheLog() throws {
        // The marker recovery writes for it must drop the log, as `save` would have: kept, the
        // entries before the snapshot would leave a gap before the next ones on the next replay.
        try withTestDirectory { dir in
            var gen = BatchGenerator(seed: 12)
            try withStorage(dir) { storage, _ in
                try storage.save(hardState: HardState(term: 1, vote: "n1", commit: 10), entries: entries(1...10), snapshot: nil)
            }
            let s = gen.snapshot(index: 12, term: 5)
            _ = try SnapshotFile.write(s, directory: dir + "/snap", disk: PosixDisk(), options: StorageOptions())
            try withStorage(dir) { storage, state in
                #expect(state.snapshot == s)
                #expect(state.entries.isEmpty)
                try storage.save(hardState: nil, entries: entries(13...14, term: 5), snapshot: nil)
            }
            let m = try reopen(dir)
            #expect(m.snapshot == s)
            #expect(m.entries == entries(13...14, term: 5))
        }
    }

    @Test func snapshotFileDecoderRejectsEveryShape() throws {
        var gen = BatchGenerator(seed: 10)
        let s = gen.snapshot(index: 5, term: 2)
        let bytes = SnapshotFile.encode(s)
        #expect(try SnapshotFile.decode(bytes, path: "x") == s)
        for n in 0..<bytes.count {
            #expect(throws: StorageError.self) { try SnapshotFile.decode(Array(bytes.prefix(n)), path: "x") }
        }
        #expect(throws: StorageError.self) { try SnapshotFile.decode(bytes + [0], path: "x") }
    }
}
