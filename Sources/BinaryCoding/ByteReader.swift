/// Why a byte sequence could not be decoded. Every decoder in Flotilla reports
/// malformed input through this type instead of trapping.
public enum DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended `needed` bytes before the value at `offset` was complete.
    case truncated(offset: Int, needed: Int)
    /// A varint ran longer than 10 bytes or overflowed 64 bits.
    case malformedVarint(offset: Int)
    /// A length or count larger than the limit the caller allows.
    case tooLarge(offset: Int, length: UInt64, limit: Int)
    /// A tag byte that names no known case.
    case unknownTag(offset: Int, tag: UInt8, type: String)
    /// Bytes that are not valid UTF-8 where a string was expected.
    case invalidUTF8(offset: Int)
    /// A value that decodes but breaks a rule of its type.
    case invalid(offset: Int, reason: String)
    /// Bytes left over after a complete value.
    case trailingBytes(offset: Int, count: Int)

    public var description: String {
        switch self {
        case let .truncated(offset, needed): "input truncated at offset \(offset) (\(needed) more bytes needed)"
        case let .malformedVarint(offset): "malformed varint at offset \(offset)"
        case let .tooLarge(offset, length, limit): "length \(length) at offset \(offset) exceeds the limit of \(limit)"
        case let .unknownTag(offset, tag, type): "unknown \(type) tag \(tag) at offset \(offset)"
        case let .invalidUTF8(offset): "invalid UTF-8 at offset \(offset)"
        case let .invalid(offset, reason): "invalid value at offset \(offset): \(reason)"
        case let .trailingBytes(offset, count): "\(count) unexpected trailing bytes at offset \(offset)"
        }
    }
}

/// Reads values written by `ByteWriter`, bounds-checked: malformed input throws, never traps.
public struct ByteReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    /// The largest length prefix accepted for a byte string, string or collection count.
    public let maxLength: Int

    public init(_ bytes: [UInt8], maxLength: Int = 64 << 20) {
        self.bytes = bytes
        self.offset = 0
        self.maxLength = maxLength
    }

    public var isAtEnd: Bool { offset >= bytes.count }
    public var remaining: Int { bytes.count - offset }

    public mutating func readByte() throws(DecodingError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated(offset: offset, needed: 1) }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readBool() throws(DecodingError) -> Bool {
        let start = offset
        switch try readByte() {
        case 0: return false
        case 1: return true
        case let b: throw .unknownTag(offset: start, tag: b, type: "bool")
        }
    }

    public mutating func readVarint() throws(DecodingError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw .truncated(offset: offset, needed: 1) }
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 { throw .malformedVarint(offset: start) }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .malformedVarint(offset: start) }
        }
    }

    /// A varint that must fit a non-negative `Int` no larger than `limit`.
    public mutating func readInt(limit: Int = Int.max) throws(DecodingError) -> Int {
        let start = offset
        let v = try readVarint()
        guard v <= UInt64(limit) else { throw .tooLarge(offset: start, length: v, limit: limit) }
        return Int(v)
    }

    /// A collection count, bounded by `maxLength` so a corrupt count cannot allocate gigabytes.
    public mutating func readCount() throws(DecodingError) -> Int {
        try readInt(limit: maxLength)
    }

    public mutating func readSigned() throws(DecodingError) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    public mutating func readFixed64() throws(DecodingError) -> UInt64 {
        guard remaining >= 8 else { throw .truncated(offset: offset, needed: 8 - remaining) }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return v
    }

    public mutating func readBytes() throws(DecodingError) -> [UInt8] {
        let n = try readCount()
        guard remaining >= n else { throw .truncated(offset: offset, needed: n - remaining) }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    public mutating func readString() throws(DecodingError) -> String {
        let start = offset
        let n = try readCount()
        guard remaining >= n else { throw .truncated(offset: offset, needed: n - remaining) }
        let at = offset
        let decoded: String? = bytes.withUnsafeBufferPointer { all in
            let raw = UnsafeBufferPointer(rebasing: all[at..<(at + n)])
            // Nearly every string here is ASCII, which is valid UTF-8 as it stands: check that
            // in one tight loop and skip the general (unspecialised, costly) validation.
            var high: UInt8 = 0
            for b in raw { high |= b }
            if high < 0x80 { return String(decoding: raw, as: UTF8.self) }
            return String(validating: raw, as: UTF8.self)
        }
        guard let decoded else { throw .invalidUTF8(offset: start) }
        offset += n
        return decoded
    }

    public mutating func readOptionalString() throws(DecodingError) -> String? {
        try readBool() ? try readString() : nil
    }

    /// Throws unless every byte has been consumed.
    public func expectEnd() throws(DecodingError) {
        if remaining > 0 { throw .trailingBytes(offset: offset, count: remaining) }
    }
}
