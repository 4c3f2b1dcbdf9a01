import BinaryCoding

// Binary encodings of the Raft types that reach the disk or the wire. Every decoder
// throws `DecodingError` on malformed input; none traps.

extension Entry {
    public func encode(into w: inout ByteWriter) {
        w.write(varint: index)
        w.write(varint: term)
        w.write(kind.rawValue)
        w.write(bytes: data)
        w.write(fixed: hash)
    }

    public static func decode(from r: inout ByteReader) throws(DecodingError) -> Entry {
        let index = try r.readVarint()
        let term = try r.readVarint()
        let at = r.offset
        let rawKind = try r.readByte()
        guard let kind = EntryKind(rawValue: rawKind) else { throw .unknownTag(offset: at, tag: rawKind, type: "EntryKind") }
        let data = try r.readBytes()
        let hash = try r.readFixed64()
        return Entry(index: index, term: term, kind: kind, data: data, hash: hash)
    }
}

extension HardState {
    public func encode(into w: inout ByteWriter) {
        w.write(varint: term)
        w.write(optional: vote)
        w.write(varint: commit)
    }

    public static func decode(from r: inout ByteReader) throws(DecodingError) -> HardState {
        HardState(term: try r.readVarint(), vote: try r.readOptionalString(), commit: try r.readVarint())
    }
}

extension SnapshotMetadata {
    public func encode(into w: inout ByteWriter) {
        w.write(varint: index)
        w.write(varint: term)
        w.write(fixed: hash)
        membership.encode(into: &w)
    }

    public static func decode(from r: inout ByteReader) throws(DecodingError) -> SnapshotMetadata {
        SnapshotMetadata(index: try r.readVarint(), term: try r.readVarint(), hash: try r.readFixed64(),
                         membership: try Membership.decode(from: &r))
    }
}
