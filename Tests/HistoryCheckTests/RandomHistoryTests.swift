import HistoryCheck
import Testing
import TestSupport

/// Histories of a real set, with random overlaps, unknown and failed operations: always
/// linearizable; one read made stale: never, and the window finds that read.
@Suite("Linearizability of generated histories")
struct RandomHistoryTests {
    static let seeds: [UInt64] = Array(1...120)

    @Test func honestHistoriesAreLinearizable() async {
        await heavy {
            for seed in Self.seeds {
                let crowded = HonestHistory(seed: seed, count: 40, clients: 6, readPercent: 40)
                #expect(check(crowded.operations) == .linearizable, "crowded, seed \(seed)")
                let long = HonestHistory(seed: seed, count: 400, clients: 4, readPercent: 25, longest: 60)
                #expect(check(long.operations) == .linearizable, "long, seed \(seed)")
            }
        }
    }

    @Test func oneStaleReadMakesAHistoryFailAtThatRead() async {
        await heavy {
            var corrupted = 0
            for seed in Self.seeds {
                var history = HonestHistory(seed: seed, count: 60, clients: 5, readPercent: 30)
                guard let stale = history.corruptOneRead(seed: seed) else { continue }
                corrupted += 1
                guard let window = check(history.operations).window else {
                    Issue.record("seed \(seed): a stale read of \(stale.key) passed")
                    continue
                }
                #expect(window.partition == stale.key, "seed \(seed)")
                #expect(window.indices[window.failing] == stale.read, "seed \(seed)")
                #expect(window.operations.contains { $0.kind == .add(key: stale.key) }, "seed \(seed)")
                #expect(check(window.operations).window?.partition == stale.key, "seed \(seed): the window fails alone")
            }
            #expect(corrupted > Self.seeds.count / 2, "most seeds had a read to make stale")
        }
    }
}
