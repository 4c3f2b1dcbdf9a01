import BinaryCoding
import RaftCore
import Testing
import TestSupport
@testable import NodeStorage

/// A model of crashes: saves that returned are durable; the save in flight at the crash has
/// written some prefix of its bytes (the last segment cut at a random point after the last
/// returned save). Recovery must give back every returned save plus exactly the in-flight
/// records that are whole on disk: only the torn final record is lost.
@Suite("Crash consistency")
struct CrashConsistencyTests {
    @Test(arguments: 0..<8)
    func randomSavesAndCrashesLoseOnlyTheTornRecord(seed: Int) async throws {
        try await heavy { () async throws in
            try withTestDirectory { dir in
                var rng = SplitMix64(seed: 0xC4A5_0000 + UInt64(seed))
                var gen = BatchGenerator(seed: rng.next(), maxData: 30)
                let options = StorageOptions.with(segmentSize: [96, 200, 4096][seed % 3], fsync: seed % 4 == 0)
                var expected = Model()
                var partial = 0
                var rollovers = 0
                for round in 0..<30 {
                    let (storage, state) = try NodeStorage.open(directory: dir, options: options, logger: quiet)
                    #expect(Model(state) == expected, "seed \(seed) round \(round)")
                    var durable = Model(state)

                    // Saves that return are durable.
                    for _ in 0..<rng.below(4) {
                        let b = gen.batch(for: durable, snapshotChance: 0.15)
                        try storage.save(b)
                        durable.apply(b)
                    }
                    // The save in flight when the process dies. (No snapshot in it: a save with one
                    // deletes old files only after its fsync, so it is never half done.)
                    let before = Dictionary(uniqueKeysWithValues: Disk.segments(dir).map { ($0, Disk.size($0)) })
                    let inFlight = gen.batch(for: durable, snapshotChance: 0)
                    try storage.save(inFlight)
                    storage.close()

                    // Cut the last segment somewhere in what the in-flight save wrote to it.
                    let segments = Disk.segments(dir)
                    let last = segments.last!
                    let lastSize = Disk.size(last)
                    let from = before[last] ?? 0
                    let cut = rng.chance(0.2) ? lastSize : from + rng.below(lastSize - from + 1)
                    let written = inFlightRecords(segments: segments, before: before, batch: inFlight)
                    Disk.truncate(last, to: cut)

                    // Whole records survive: those in earlier segments, and those ending by the cut.
                    let survivors = written.prefix { $0.path != last || $0.end <= cut }.count
                    expected = durable.prefixes(of: inFlight)[survivors]
                    if survivors < written.count { partial += 1 }
                    if segments.count > before.count { rollovers += 1 }
                }
                #expect(try reopen(dir, options) == expected, "seed \(seed)")
                #expect(partial > 5)
                if options.segmentSize < 1000 { #expect(rollovers > 0) }
            }
        }
    }

    /// The in-flight batch's own records in write order (not the headers of segments it
    /// started), with where each ends.
    func inFlightRecords(segments: [String], before: [String: Int], batch: Batch) -> [(path: String, end: Int)] {
        let oldLast = before.keys.max() // zero-padded names sort by sequence
        var all: [(path: String, record: WALRecord, end: Int)] = []
        for path in segments {
            var from = 0
            if let size = before[path] {
                guard path == oldLast else { continue } // untouched older segment
                from = size
            }
            let rs = records(path)
            let size = Disk.size(path)
            for (k, r) in rs.enumerated() where r.offset >= from {
                all.append((path, r.record, k + 1 < rs.count ? rs[k + 1].offset : size))
            }
        }
        var out: [(path: String, end: Int)] = []
        for (k, r) in all.enumerated() {
            switch r.record {
            case .entry: out.append((r.path, r.end))
            case .hardState where k == all.count - 1 && batch.hardState != nil: out.append((r.path, r.end))
            default: break // a segment header's marker or hard state
            }
        }
        return out
    }
}
