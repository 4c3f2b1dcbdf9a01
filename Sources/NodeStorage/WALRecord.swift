import BinaryCoding
import RaftCore

/// One record of the write-ahead log. See `WriteAheadLog` for the byte layout.
enum WALRecord: Equatable, Sendable {
    /// A log entry; on replay it replaces every entry at or after its index.
    case entry(Entry)
    /// The node's term, vote and commit index; the last one replayed wins.
    case hardState(HardState)
    /// A snapshot was installed at this point of the log.
    case snapshot(SnapshotMarker)

    /// `[length u32][crc32c u32][type u8]` before the payload.
    static let headerSize = 9

    enum Kind: UInt8 {
        case entry = 1
        case hardState = 2
        case snapshot = 3
    }

    var kind: Kind {
        switch self {
        case .entry: .entry
        case .hardState: .hardState
        case .snapshot: .snapshot
        }
    }

    /// The framed record: header, then payload.
    func encoded() -> [UInt8] {
        var payload = ByteWriter(capacity: 64)
        switch self {
        case .entry(let e): e.encode(into: &payload)
        case .hardState(let h): h.encode(into: &payload)
        case .snapshot(let m): m.encode(into: &payload)
        }
        return WALRecord.frame(kind: kind.rawValue, payload: payload.bytes)
    }

    /// Frames an arbitrary payload; the CRC covers the type byte and the payload.
    static func frame(kind: UInt8, payload: [UInt8]) -> [UInt8] {
        var crc = CRC32C()
        crc.update(CollectionOfOne(kind))
        crc.update(payload)
        var out = [UInt8]()
        out.reserveCapacity(headerSize + payload.count)
        appendLE(UInt32(payload.count), to: &out)
        appendLE(crc.value, to: &out)
        out.append(kind)
        out.append(contentsOf: payload)
        return out
    }

    /// Decodes a payload whose checksum already matched.
    static func decode(kind rawKind: UInt8, payload: [UInt8]) throws(DecodingError) -> WALRecord {
        guard let kind = Kind(rawValue: rawKind) else {
            throw .unknownTag(offset: 0, tag: rawKind, type: "WAL record type")
        }
        var r = ByteReader(payload)
        let record: WALRecord
        switch kind {
        case .entry: record = .entry(try Entry.decode(from: &r))
        case .hardState: record = .hardState(try HardState.decode(from: &r))
        case .snapshot: record = .snapshot(try SnapshotMarker.decode(from: &r))
        }
        try r.expectEnd()
        return record
    }

    static func appendLE(_ v: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: v))
        out.append(UInt8(truncatingIfNeeded: v >> 8))
        out.append(UInt8(truncatingIfNeeded: v >> 16))
        out.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    static func readLE(_ bytes: [UInt8], at i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }
}

/// Records in the WAL that a snapshot at `index` was installed: replay forgets the entries
/// it covers, and all later ones too unless `keepsLaterEntries` (the log agreed with the
/// snapshot at `index`, as after a local compaction).
struct SnapshotMarker: Equatable, Sendable {
    var index: UInt64
    var term: UInt64
    var keepsLaterEntries: Bool

    func encode(into w: inout ByteWriter) {
        w.write(varint: index)
        w.write(varint: term)
        w.write(keepsLaterEntries)
    }

    static func decode(from r: inout ByteReader) throws(DecodingError) -> SnapshotMarker {
        SnapshotMarker(index: try r.readVarint(), term: try r.readVarint(), keepsLaterEntries: try r.readBool())
    }
}
