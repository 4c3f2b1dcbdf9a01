/// 64-bit FNV-1a, the hash behind Flotilla's chained log hashes and trace hashes.
/// Not cryptographic: it detects divergence and corruption, not tampering.
public struct FNV1a: Sendable {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    public private(set) var value: UInt64

    public init(seed: UInt64 = FNV1a.offsetBasis) { value = seed }

    public mutating func combine(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* FNV1a.prime
    }

    public mutating func combine(_ v: UInt64) {
        var x = v
        for _ in 0..<8 {
            combine(UInt8(truncatingIfNeeded: x))
            x >>= 8
        }
    }

    public mutating func combine<C: Collection>(bytes: C) where C.Element == UInt8 {
        // One pass over contiguous storage (every [UInt8]): across the module boundary the
        // generic loop would otherwise call the iterator's witness once per byte.
        var h = value
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            for b in buffer { h = (h ^ UInt64(b)) &* FNV1a.prime }
        }
        if done == nil {
            for b in bytes { h = (h ^ UInt64(b)) &* FNV1a.prime }
        }
        value = h
    }

    public mutating func combine(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            combine(UInt8(truncatingIfNeeded: buf.count))
            for b in buf { combine(b) }
        }
    }
}
