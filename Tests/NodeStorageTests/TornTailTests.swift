import Logging
import RaftCore
import Testing
@testable import NodeStorage

@Suite("Torn tail")
struct TornTailTests {
    /// Ten one-entry batches, then an eleventh whose bytes the tests cut; returns the last
    /// segment and where the eleventh record starts and ends.
    func makeLog(_ dir: String) throws -> (segment: String, start: Int, end: Int) {
        try withStorage(dir) { storage, _ in
            try storage.save(hardState: HardState(term: 1, vote: "n1", commit: 3), entries: entries(1...10), snapshot: nil)
            let segment = Disk.segments(dir).last!
            let start = Disk.size(segment)
            try storage.save(hardState: nil, entries: entries(11...11, size: 30), snapshot: nil)
            return (segment, start, Disk.size(segment))
        }
    }

    @Test func everyCutInsideTheLastRecordRecoversTheRecordsBeforeIt() throws {
        try withTestDirectory { dir in
            let (segment, start, end) = try makeLog(dir)
            let original = Disk.read(segment)
            for cut in start..<end {
                Disk.write(segment, Array(original.prefix(cut)))
                let log = LogCapture()
                let m = try reopen(dir, logger: log.logger)
                #expect(m.entries == entries(1...10), "cut at \(cut)")
                #expect(m.hardState == HardState(term: 1, vote: "n1", commit: 3))
                let warnings = log.at(.warning)
                if cut == start {
                    #expect(warnings.isEmpty, "a clean end is not a torn write")
                } else {
                    #expect(warnings.count == 1, "cut at \(cut)")
                    #expect(warnings.first?.message.contains(segment) == true)
                    #expect(warnings.first?.message.contains("offset \(start)") == true)
                    #expect(warnings.first?.metadata["file"] == "\(segment)")
                    #expect(Disk.size(segment) == start, "the torn bytes were cut off")
                }
            }
            Disk.write(segment, original)
            #expect(try reopen(dir).entries == entries(1...10) + entries(11...11, size: 30))
        }
    }

    @Test func aRepairedLogAcceptsNewWritesWithoutGarbage() throws {
        try withTestDirectory { dir in
            let (segment, start, end) = try makeLog(dir)
            Disk.truncate(segment, to: (start + end) / 2)
            try withStorage(dir) { storage, state in
                #expect(state.entries == entries(1...10))
                try storage.save(hardState: HardState(term: 2, vote: "n2", commit: 11), entries: entries(11...12, term: 2), snapshot: nil)
            }
            let log = LogCapture()
            let m = try reopen(dir, logger: log.logger)
            #expect(m.entries == entries(1...10) + entries(11...12, term: 2))
            #expect(m.hardState == HardState(term: 2, vote: "n2", commit: 11))
            #expect(log.at(.warning).isEmpty)
        }
    }

    @Test func zeroFilledTailIsATornWrite() throws {
        try withTestDirectory { dir in
            let (segment, _, end) = try makeLog(dir)
            Disk.write(segment, Disk.read(segment) + [UInt8](repeating: 0, count: 4096))
            let log = LogCapture()
            #expect(try reopen(dir, logger: log.logger).entries.count == 11)
            #expect(log.at(.warning).count == 1)
            #expect(Disk.size(segment) == end)
        }
    }

    /// A whole last record whose checksum fails, with no zeros at its end: bytes that changed
    /// after they were synced (the write was acknowledged). Cutting it would lose an entry the
    /// cluster counted on, so the node refuses to start and names the file and offset.
    @Test func aChangedByteInTheLastWholeRecordIsCorruptionNotATornWrite() throws {
        try withTestDirectory { dir in
            let (segment, start, end) = try makeLog(dir)
            var bytes = Disk.read(segment)
            bytes[(start + end) / 2] ^= 0x40
            Disk.write(segment, bytes)
            do {
                _ = try reopen(dir)
                Issue.record("a flipped byte in a synced record was cut off as a torn write")
            } catch {
                #expect("\(error)".contains(segment) && "\(error)".contains("offset \(start)"), "\(error)")
                #expect("\(error)".contains("changed after they were written"), "\(error)")
            }
            #expect(Disk.size(segment) == end, "nothing was cut")
        }
    }

    /// The same record zeroed from its start (the size reached the disk, the data did not) is
    /// what a power cut leaves: cut off as before.
    @Test func aWholeLastRecordOfZerosIsATornWrite() throws {
        try withTestDirectory { dir in
            let (segment, start, end) = try makeLog(dir)
            var bytes = Disk.read(segment)
            for i in start..<end { bytes[i] = 0 }
            Disk.write(segment, bytes)
            let log = LogCapture()
            #expect(try reopen(dir, logger: log.logger).entries == entries(1...10))
            #expect(log.at(.warning).count == 1)
            #expect(Disk.size(segment) == start)
        }
    }

    /// Zeros count as unwritten data only from the record's start or from a sector boundary
    /// inside it; a record's own trailing zero bytes do not.
    @Test func zerosAreTearShapedFromTheStartOrASectorBoundary() {
        func file(data: Int, zeros: Int) -> [UInt8] { [UInt8](repeating: 7, count: data) + [UInt8](repeating: 0, count: zeros) }
        #expect(WALSegmentReader.zerosFromInside(file(data: 100, zeros: 50), recordStart: 100, recordEnd: 150))
        #expect(WALSegmentReader.zerosFromInside(file(data: 1000, zeros: 100), recordStart: 900, recordEnd: 1100), "zeros from 1024")
        #expect(!WALSegmentReader.zerosFromInside(file(data: 950, zeros: 6), recordStart: 900, recordEnd: 956), "6 zeros of its own")
        #expect(!WALSegmentReader.zerosFromInside(file(data: 956, zeros: 0), recordStart: 900, recordEnd: 956))
    }

    @Test func tornHeaderOfAFreshSegmentIsRewritten() throws {
        try withTestDirectory { dir in
            let options = StorageOptions.with(segmentSize: 128)
            var model = Model()
            try withStorage(dir, options) { storage, _ in
                for i: UInt64 in 1...12 {
                    let b = Batch(hardState: HardState(term: 1, vote: "n1", commit: i - 1), entries: entries(i...i, size: 20))
                    try storage.save(b)
                    model.apply(b)
                }
            }
            // Crash just after a rollover wrote part of the new segment's header.
            let last = Disk.segments(dir).last!
            let headerEnd = records(last)[1].offset
            Disk.truncate(last, to: headerEnd - 3)
            var expected = try reopen(dir, options)
            #expect(expected.entries.count >= 11)
            #expect(records(last).count >= 1, "the header was written again")
            // Later, everything before this segment is compacted away: the hard state must survive.
            try withStorage(dir, options) { storage, state in
                #expect(Model(state) == expected)
                var gen = BatchGenerator(seed: 1)
                let s = gen.snapshot(index: expected.lastIndex, term: 1)
                try storage.saveSnapshot(s)
                expected.apply(snapshot: s)
            }
            #expect(try reopen(dir, options) == expected)
        }
    }
}
