import BinaryCoding

/// A dictionary from strings, split into a fixed number of shards by a stable hash of the key
/// (64-bit FNV-1a of its UTF-8 bytes, the same on every replica and in every run, unlike
/// `hashValue`), so a copy shares the shards and a mutation after a copy duplicates only the
/// outer array and the one shard it touches. Nothing iterates it: its order leaks nowhere.
struct ShardedDictionary<Value: Sendable>: Sendable {
    /// How many shards: at a million keys, a shard copied after a snapshot holds some 4,000.
    static var shardCount: Int { 256 }

    private(set) var shards: [[String: Value]] = Array(repeating: [:], count: shardCount)
    /// How many keys are held.
    private(set) var count = 0

    init() {}

    /// The shard `key` lives in.
    static func shard(of key: String) -> Int {
        // BinaryCoding's FNV1a, unrolled here over the concrete UTF-8 view: its generic entry
        // point, called across the module boundary, would cost more than the lookup it guards.
        var hash = FNV1a.offsetBasis
        let done: Void? = key.utf8.withContiguousStorageIfAvailable { bytes in
            for b in bytes { hash = (hash ^ UInt64(b)) &* FNV1a.prime }
        }
        if done == nil {
            for b in key.utf8 { hash = (hash ^ UInt64(b)) &* FNV1a.prime }
        }
        return Int(hash % UInt64(shardCount))
    }

    /// The value held for `key`; setting nil removes it.
    subscript(key: String) -> Value? {
        get { count == 0 ? nil : shards[Self.shard(of: key)][key] }
        set { self[key, shard: Self.shard(of: key)] = newValue }
    }

    /// The value held for `key`, whose shard (`shard(of:)`) the caller computed once for a
    /// lookup and a store of the same key.
    subscript(key: String, shard s: Int) -> Value? {
        get { shards[s][key] }
        set {
            if let newValue {
                if shards[s].updateValue(newValue, forKey: key) == nil { count += 1 }
            } else if shards[s].removeValue(forKey: key) != nil {
                count -= 1
            }
        }
    }
}
