import BinaryCoding
import Testing
@testable import TaskQueue

/// `ShardedDictionary` behaves as a plain dictionary under random operations, copies keep their
/// contents, and keys land in shards by a hash that is the same in every run.
@Suite("Sharded dictionary")
struct ShardedDictionaryTests {
    static func storage(_ shard: [String: Int]) -> [UInt8] { withUnsafeBytes(of: shard) { Array($0) } }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func matchesADictionaryWithCopiesTakenMidway(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var sharded = ShardedDictionary<Int>()
        var model: [String: Int] = [:]
        var copies: [(ShardedDictionary<Int>, [String: Int])] = []
        for step in 0..<20_000 {
            let key = "k-\(rng.below(3_000))"
            switch rng.below(3) {
            case 0, 1:
                let value = rng.below(1_000)
                sharded[key] = value
                model[key] = value
            default:
                sharded[key] = nil
                model[key] = nil
            }
            #expect(sharded.count == model.count)
            if step % 1_000 == 0 { copies.append((sharded, model)) }
        }
        for i in 0..<3_000 { #expect(sharded["k-\(i)"] == model["k-\(i)"]) }
        for (copy, expected) in copies {
            #expect(copy.count == expected.count)
            for i in 0..<3_000 where copy["k-\(i)"] != expected["k-\(i)"] {
                Issue.record("a copy changed at k-\(i)")
                break
            }
        }
    }

    @Test func aChangeAfterACopyCopiesOneShard() {
        var sharded = ShardedDictionary<Int>()
        for i in 0..<10_000 { sharded["k-\(i)"] = i }
        let frozen = sharded
        sharded["k-1"] = nil
        #expect(frozen["k-1"] == 1 && sharded["k-1"] == nil)
        let shared = zip(sharded.shards, frozen.shards).filter { Self.storage($0.0) == Self.storage($0.1) }.count
        #expect(shared == ShardedDictionary<Int>.shardCount - 1)
    }

    /// 64-bit FNV-1a of the key's bytes, modulo the shard count: fixed, not seeded per process.
    @Test func shardsFollowFNV1a() {
        #expect(ShardedDictionary<Int>.shard(of: "") == 0x25)  // offset basis 0xcbf29ce484222325
        #expect(ShardedDictionary<Int>.shard(of: "a") == 0x8c)  // 0xaf63dc4c8601ec8c
    }
}
