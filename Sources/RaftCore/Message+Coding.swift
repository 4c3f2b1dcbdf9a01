import BinaryCoding

// The wire encoding of a Raft message: `[tag][from][to][term][body fields…]`, the tag being
// `Message.Body.tag`. Decoding accepts only what a `RaftNode` can produce (entries that
// follow `prevIndex` one by one, snapshot chunks inside their snapshot, non-negative byte
// counts), so a corrupt or hostile frame is rejected here instead of reaching the core.

extension Message {
    /// The smallest encoding of one `Entry`: index, term, kind, data length (one byte each) and an 8-byte hash.
    static let minimumEncodedEntrySize = 12

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        encode(into: &w)
        return w.bytes
    }

    public func encode(into w: inout ByteWriter) {
        w.write(body.tag)
        w.write(from)
        w.write(to)
        w.write(varint: term)
        switch body {
        case let .preVote(lastIndex, lastTerm):
            w.write(varint: lastIndex)
            w.write(varint: lastTerm)
        case let .preVoteResponse(granted), let .voteResponse(granted):
            w.write(granted)
        case let .vote(lastIndex, lastTerm, transfer):
            w.write(varint: lastIndex)
            w.write(varint: lastTerm)
            w.write(transfer)
        case let .append(prevIndex, prevTerm, entries, commit):
            w.write(varint: prevIndex)
            w.write(varint: prevTerm)
            w.write(varint: commit)
            w.write(varint: entries.count)
            for e in entries { e.encode(into: &w) }
        case let .appendResponse(success, index, hintIndex, hintTerm):
            w.write(success)
            w.write(varint: index)
            w.write(varint: hintIndex)
            w.write(varint: hintTerm)
        case let .heartbeat(commit, context):
            w.write(varint: commit)
            w.write(varint: context)
        case let .heartbeatResponse(context):
            w.write(varint: context)
        case let .snapshot(metadata, offset, totalSize, chunk):
            metadata.encode(into: &w)
            w.write(varint: Message.wireInt(offset))
            w.write(varint: Message.wireInt(totalSize))
            w.write(bytes: chunk)
        case let .snapshotResponse(index, received):
            w.write(varint: index)
            w.write(varint: Message.wireInt(received))
        case .timeoutNow:
            break
        }
    }

    /// A negative count is a bug in the sender; it is written as a value no decoder accepts
    /// rather than trapping the sending process.
    private static func wireInt(_ value: Int) -> UInt64 { UInt64(truncatingIfNeeded: value) }

    /// Decodes exactly one message; trailing bytes are an error.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Message {
        var r = ByteReader(bytes)
        let message = try decode(from: &r)
        try r.expectEnd()
        return message
    }

    public static func decode(from r: inout ByteReader) throws(DecodingError) -> Message {
        let tagOffset = r.offset
        let tag = try r.readByte()
        guard (1...11).contains(tag) else { throw .unknownTag(offset: tagOffset, tag: tag, type: "Message.Body") }
        let from = try r.readString()
        let to = try r.readString()
        let term = try r.readVarint()
        let body: Body
        switch tag {
        case 1:
            body = .preVote(lastIndex: try r.readVarint(), lastTerm: try r.readVarint())
        case 2:
            body = .preVoteResponse(granted: try r.readBool())
        case 3:
            body = .vote(lastIndex: try r.readVarint(), lastTerm: try r.readVarint(), transfer: try r.readBool())
        case 4:
            body = .voteResponse(granted: try r.readBool())
        case 5:
            body = try decodeAppend(from: &r)
        case 6:
            body = .appendResponse(success: try r.readBool(), index: try r.readVarint(),
                                   hintIndex: try r.readVarint(), hintTerm: try r.readVarint())
        case 7:
            body = .heartbeat(commit: try r.readVarint(), context: try r.readVarint())
        case 8:
            body = .heartbeatResponse(context: try r.readVarint())
        case 9:
            body = try decodeSnapshotChunk(from: &r)
        case 10:
            body = .snapshotResponse(index: try r.readVarint(), received: try r.readInt())
        case 11:
            body = .timeoutNow
        default:
            throw .unknownTag(offset: tagOffset, tag: tag, type: "Message.Body")
        }
        return Message(from: from, to: to, term: term, body: body)
    }

    private static func decodeAppend(from r: inout ByteReader) throws(DecodingError) -> Body {
        let prevIndex = try r.readVarint()
        let prevTerm = try r.readVarint()
        let commit = try r.readVarint()
        let countOffset = r.offset
        let count = try r.readCount()
        // Every entry takes at least `minimumEncodedEntrySize` bytes, so a count the input
        // cannot hold is rejected before anything is allocated for it.
        guard count <= r.remaining / minimumEncodedEntrySize else {
            throw .truncated(offset: countOffset, needed: count * minimumEncodedEntrySize - r.remaining)
        }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var expected = prevIndex
        for _ in 0..<count {
            let at = r.offset
            let e = try Entry.decode(from: &r)
            let (next, overflow) = expected.addingReportingOverflow(1)
            guard !overflow, e.index == next else {
                throw .invalid(offset: at, reason: "entry index \(e.index) does not follow index \(expected)")
            }
            expected = next
            entries.append(e)
        }
        return .append(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit)
    }

    private static func decodeSnapshotChunk(from r: inout ByteReader) throws(DecodingError) -> Body {
        let metadata = try SnapshotMetadata.decode(from: &r)
        let offset = try r.readInt()
        let totalSize = try r.readInt()
        let chunkOffset = r.offset
        let chunk = try r.readBytes()
        guard offset <= totalSize, chunk.count <= totalSize - offset else {
            throw .invalid(offset: chunkOffset,
                           reason: "snapshot chunk of \(chunk.count) bytes at offset \(offset) exceeds the snapshot size \(totalSize)")
        }
        return .snapshot(metadata: metadata, offset: offset, totalSize: totalSize, chunk: chunk)
    }
}
