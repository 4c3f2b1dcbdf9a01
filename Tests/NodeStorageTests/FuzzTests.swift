import BinaryCoding
import Foundation
import RaftCore
import Testing
import TestSupport
@testable import NodeStorage

/// Seeded mutation fuzzing of WAL replay and recovery: damaged inputs must open or throw a
/// `StorageError`, never trap, and whatever opens must be a well-formed log.
@Suite("Fuzz")
struct FuzzTests {
    /// A data directory's files, in memory.
    struct Image {
        var segments: [(sequence: UInt64, bytes: [UInt8])]
        var snapshots: [(index: UInt64, bytes: [UInt8])]
    }

    static let segmentSize = 128

    /// Small but varied directories written by the real storage: rollovers, overwrites, snapshots.
    static func seedImages() throws -> [Image] {
        try (0..<6).map { seed -> Image in
            try withTestDirectory { dir in
                var gen = BatchGenerator(seed: 100 + UInt64(seed), maxData: 12)
                var model = Model()
                try withStorage(dir, .with(segmentSize: segmentSize, fsync: false)) { storage, _ in
                    for _ in 0..<(6 + seed * 2) {
                        let b = gen.batch(for: model, snapshotChance: seed % 2 == 0 ? 0.2 : 0)
                        try storage.save(b)
                        model.apply(b)
                    }
                }
                return Image(
                    segments: Disk.segments(dir).map { (WriteAheadLog.sequence(fromName: Disk.name($0))!, Disk.read($0)) },
                    snapshots: Disk.snapshots(dir).map { (SnapshotFile.index(fromName: Disk.name($0))!, Disk.read($0)) })
            }
        }
    }

    /// Recovery on bytes in memory: the same code `NodeStorage.open` runs, minus the file I/O.
    static func recover(_ image: Image) throws(StorageError) -> PersistentState {
        let options = StorageOptions.with(segmentSize: segmentSize)
        let wal = try WALReplay.replay(
            image.segments.map { WALReplay.Segment(sequence: $0.sequence, path: "wal-\($0.sequence)", bytes: $0.bytes) },
            maxRecordLength: options.maxSegmentFileSize)
        let files = Dictionary(image.snapshots.map { ("snap-\($0.index)", $0.bytes) }, uniquingKeysWith: { a, _ in a })
        let candidates = image.snapshots.map { Recovery.SnapshotCandidate(index: $0.index, path: "snap-\($0.index)") }
        return try Recovery.recover(wal: wal, snapshots: candidates, snapshotDirectory: "snap") {
            (c) throws(StorageError) -> Snapshot in
            let s = try SnapshotFile.decode(files[c.path] ?? [], path: c.path)
            guard s.metadata.index == c.index else { throw .corrupt(file: c.path, offset: 0, reason: "index") }
            return s
        }.state
    }

    /// Why a recovered state is not a well-formed log, or nil.
    static func malformation(_ state: PersistentState) -> String? {
        let base = state.snapshot?.metadata.index ?? 0
        for (k, e) in state.entries.enumerated() where e.index != base + 1 + UInt64(k) {
            return "entries are not contiguous after snapshot \(base): \(state.entries.map(\.index))"
        }
        return nil
    }

    // MARK: - Mutations

    static func mutate(_ image: inout Image, _ rng: inout SplitMix64) {
        if image.segments.isEmpty || rng.chance(0.08) {
            mutateDirectory(&image, &rng)
            return
        }
        let s = rng.below(image.segments.count)
        var bytes = image.segments[s].bytes
        // Record offsets, only for the mutations that move or rewrite whole records.
        let choice = rng.below(9)
        let records = (5...8).contains(choice) ? WALSegmentReader.scan(bytes, maxRecordLength: 1 << 20).records.map(\.offset) : []
        switch choice {
        case 0 where !bytes.isEmpty:
            bytes[rng.below(bytes.count)] ^= UInt8(1 << rng.below(8))
        case 1 where !bytes.isEmpty:
            bytes[rng.below(bytes.count)] = UInt8.random(in: 0...255, using: &rng)
        case 2:
            bytes = Array(bytes.prefix(rng.below(bytes.count + 1)))
        case 3:
            let junk = (0..<(1 + rng.below(16))).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes.insert(contentsOf: junk, at: rng.below(bytes.count + 1))
        case 4 where !bytes.isEmpty:
            let a = rng.below(bytes.count)
            bytes.removeSubrange(a..<min(bytes.count, a + 1 + rng.below(24)))
        case 5 where !records.isEmpty:
            // Duplicate or move a whole record: valid frames in the wrong place.
            let k = rng.below(records.count)
            let end = k + 1 < records.count ? records[k + 1] : bytes.count
            let record = Array(bytes[records[k]..<end])
            bytes.insert(contentsOf: record, at: records[rng.below(records.count)])
        case 6 where !records.isEmpty:
            let at = records[rng.below(records.count)]
            guard at + 4 <= bytes.count else { break }
            let values: [UInt32] = [0, 1, 8, 0x7fff_ffff, 0xffff_ffff, UInt32(bytes.count - at), UInt32(rng.below(1 << 21))]
            var le: [UInt8] = []
            WALRecord.appendLE(values[rng.below(values.count)], to: &le)
            bytes.replaceSubrange(at..<(at + 4), with: le)
        case 7, 8:
            // Change a record's type or payload and fix its checksum, so the decoders see it.
            guard !records.isEmpty else { break }
            let k = rng.below(records.count)
            let end = k + 1 < records.count ? records[k + 1] : bytes.count
            guard end - records[k] >= WALRecord.headerSize else { break }
            var kind = bytes[records[k] + 8]
            var payload = Array(bytes[(records[k] + WALRecord.headerSize)..<end])
            switch rng.below(5) {
            case 0: kind = UInt8(rng.below(5))
            case 1 where !payload.isEmpty: payload[rng.below(payload.count)] = UInt8.random(in: 0...255, using: &rng)
            case 2: payload = Array(payload.prefix(rng.below(payload.count + 1)))
            case 3: payload.append(contentsOf: (0..<(1 + rng.below(12))).map { _ in [0x00, 0x7f, 0x80, 0xff][rng.below(4)] })
            default:
                // Hand-made payloads with extreme indexes and terms.
                var w = ByteWriter()
                let big: [UInt64] = [0, 1, UInt64.max, UInt64.max - 1, 1 << 63, UInt64(rng.below(40))]
                w.write(varint: big[rng.below(big.count)])
                w.write(varint: big[rng.below(big.count)])
                if kind == WALRecord.Kind.entry.rawValue {
                    w.write(UInt8(0))
                    w.write(bytes: [1, 2])
                    w.write(fixed: 7)
                } else {
                    w.write(rng.chance(0.5))
                }
                payload = w.bytes
            }
            bytes.replaceSubrange(records[k]..<end, with: WALRecord.frame(kind: kind, payload: payload))
        default:
            bytes.append(contentsOf: (0..<rng.below(20)).map { _ in UInt8(rng.below(3)) })
        }
        image.segments[s].bytes = bytes
    }

    static func mutateDirectory(_ image: inout Image, _ rng: inout SplitMix64) {
        switch rng.below(5) {
        case 0 where !image.segments.isEmpty:
            image.segments.remove(at: rng.below(image.segments.count))
        case 1 where !image.segments.isEmpty:
            image.segments[rng.below(image.segments.count)].sequence &+= 1
        case 2 where !image.snapshots.isEmpty:
            let k = rng.below(image.snapshots.count)
            var b = image.snapshots[k].bytes
            if !b.isEmpty { b[rng.below(b.count)] ^= UInt8(1 << rng.below(8)) }
            if rng.chance(0.5), b.count >= 4 {
                // Re-seal so the metadata decoder sees the damage.
                let body = Array(b.dropLast(4))
                b = body
                WALRecord.appendLE(CRC32C.checksum(body), to: &b)
            }
            image.snapshots[k].bytes = b
        case 3 where !image.snapshots.isEmpty:
            image.snapshots.remove(at: rng.below(image.snapshots.count))
        default:
            if !image.snapshots.isEmpty { image.snapshots[rng.below(image.snapshots.count)].index &+= 1 }
        }
    }

    // MARK: - Tests

    /// Four seeded shards of 25,000 mutated data directories (100,000 in all, each shard on a
    /// thread of its own): recovery opens each or throws `.corrupt`, and what opens is a well-formed log.
    @Test(arguments: 0..<4)
    func oneHundredThousandMutatedLogsOpenOrThrow(shard: Int) async throws {
        let total = 25_000
        let (opened, corrupt, problems) = try await offThePool { () throws -> (Int, Int, [String]) in
            let seeds = try FuzzTests.seedImages()
            var rng = SplitMix64(seed: 0x5EED_F1A7 &+ UInt64(shard))
            var opened = 0
            var corrupt = 0
            var problems: [String] = []
            for _ in 0..<total {
                var image = seeds[rng.below(seeds.count)]
                for _ in 0..<(1 + rng.below(3)) { FuzzTests.mutate(&image, &rng) }
                do throws(StorageError) {
                    if let why = FuzzTests.malformation(try FuzzTests.recover(image)) { problems.append(why) }
                    opened += 1
                } catch {
                    if case .corrupt = error { corrupt += 1 } else { problems.append("unexpected error \(error)") }
                }
            }
            return (opened, corrupt, problems)
        }
        print("fuzz WAL recovery shard \(shard): \(opened + corrupt) inputs, \(opened) opened, \(corrupt) corrupt")
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(opened + corrupt == total)
        #expect(opened > total / 20)
        #expect(corrupt > total / 10)
    }

    /// The WAL record reader alone, on 100,000 mutated and random segments: it parses or
    /// reports damage, never traps, and what it reports is consistent with the bytes.
    @Test func oneHundredThousandMutatedSegmentsScanConsistently() async throws {
        let total = 100_000
        let (records, damaged, problems) = try await offThePool { () throws -> (Int, Int, [String]) in
            let segments = try FuzzTests.seedImages().flatMap { $0.segments.map(\.bytes) }
            var rng = SplitMix64(seed: 0x5CA4)
            var damaged = 0
            var records = 0
            var problems: [String] = []
            for n in 0..<total {
                var bytes: [UInt8]
                if n % 10 == 0 {
                    bytes = (0..<rng.below(160)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                } else {
                    var image = Image(segments: [(1, segments[rng.below(segments.count)])], snapshots: [])
                    for _ in 0..<(1 + rng.below(3)) { FuzzTests.mutate(&image, &rng) }
                    bytes = image.segments.first?.bytes ?? []
                }
                let scan = WALSegmentReader.scan(bytes, maxRecordLength: 1 << 16)
                records += scan.records.count
                let offsets = scan.records.map(\.offset)
                if offsets != offsets.sorted() || Set(offsets).count != offsets.count || scan.validLength > bytes.count
                    || (offsets.last.map { $0 >= scan.validLength } ?? false) {
                    problems.append("inconsistent scan of \(bytes): \(offsets), valid length \(scan.validLength)")
                }
                if let d = scan.damage {
                    damaged += 1
                    if d.offset != scan.validLength { problems.append("damage at \(d.offset) but valid length \(scan.validLength)") }
                } else if scan.validLength != bytes.count {
                    problems.append("no damage reported, yet only \(scan.validLength) of \(bytes.count) bytes are valid")
                }
            }
            return (records, damaged, problems)
        }
        print("fuzz WAL record reader: \(total) inputs, \(records) records read, \(damaged) damaged")
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(damaged > total / 10 && damaged < total)
        #expect(records > total)
    }

    /// The same through real files: a directory that opens can be written to and reopened.
    @Test func mutatedDataDirectoriesOpenOrThrowAndStayWritable() async throws {
        try await heavy { () async throws in
            let seeds = try FuzzTests.seedImages()
            var rng = SplitMix64(seed: 0xD15C)
            let options = StorageOptions.with(segmentSize: FuzzTests.segmentSize, fsync: false)
            for round in 0..<300 {
                var image = seeds[rng.below(seeds.count)]
                for _ in 0..<(1 + rng.below(2)) { FuzzTests.mutate(&image, &rng) }
                try withTestDirectory { dir in
                    try FileManager.default.createDirectory(atPath: dir + "/wal", withIntermediateDirectories: true)
                    try FileManager.default.createDirectory(atPath: dir + "/snap", withIntermediateDirectories: true)
                    for s in image.segments { Disk.write(dir + "/wal/" + WriteAheadLog.name(sequence: s.sequence), s.bytes) }
                    for s in image.snapshots { Disk.write(dir + "/snap/" + SnapshotFile.name(index: s.index), s.bytes) }
                    let recovered: Model
                    do {
                        recovered = try reopen(dir, options)
                    } catch let error as StorageError {
                        guard case .corrupt = error else { Issue.record("round \(round): \(error)"); return }
                        return
                    }
                    var expected = recovered
                    let next = Batch(hardState: HardState(term: 77, vote: "n9", commit: expected.lastIndex),
                                     entries: entries((expected.lastIndex + 1)...(expected.lastIndex + 2), term: 77))
                    try withStorage(dir, options) { storage, _ in try storage.save(next) }
                    expected.apply(next)
                    #expect(try reopen(dir, options) == expected, "round \(round)")
                }
            }
        }
    }
}
