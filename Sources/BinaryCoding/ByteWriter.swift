/// Appends values to a byte array in Flotilla's compact binary encoding:
/// LEB128 varints for integers, length-prefixed bytes and UTF-8 strings.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// Unsigned LEB128.
    public mutating func write(varint value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func write(varint value: Int) {
        precondition(value >= 0, "negative value written as unsigned varint")
        write(varint: UInt64(value))
    }

    /// Zig-zag encoded signed varint.
    public mutating func write(signed value: Int64) {
        write(varint: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Fixed-width little-endian 64-bit value (hashes, where varints would not shrink).
    public mutating func write(fixed value: UInt64) {
        var v = value
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }

    public mutating func write(bytes value: [UInt8]) {
        write(varint: value.count)
        bytes.append(contentsOf: value)
    }

    public mutating func write(_ value: String) {
        var s = value
        s.withUTF8 { buf in
            write(varint: buf.count)
            bytes.append(contentsOf: buf)
        }
    }

    public mutating func write(optional value: String?) {
        if let value {
            write(true)
            write(value)
        } else {
            write(false)
        }
    }
}
