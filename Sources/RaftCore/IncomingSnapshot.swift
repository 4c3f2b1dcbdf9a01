/// A snapshot arriving from the leader chunk by chunk. The chunks are kept as they came, so
/// taking one costs that chunk, never a copy of everything gathered before it (one buffer grown
/// a chunk at a time copied the whole of it on some chunks, and a buffer shared with the
/// optional that held it copied it on every chunk). Whoever installs the snapshot joins the
/// chunks, off the Raft loop.
public struct IncomingSnapshot: Sendable, Equatable {
    public let metadata: SnapshotMetadata
    /// The chunks in order, from offset 0.
    public private(set) var chunks: [[UInt8]] = []
    /// Bytes gathered so far.
    public private(set) var count = 0

    public init(metadata: SnapshotMetadata) {
        self.metadata = metadata
    }

    mutating func append(_ chunk: [UInt8]) {
        guard !chunk.isEmpty else { return }
        chunks.append(chunk)
        count += chunk.count
    }

    /// The snapshot in one piece: one pass over its bytes, for the host to do away from the loop.
    public func joined() -> Snapshot {
        var data: [UInt8] = []
        data.reserveCapacity(count)
        for chunk in chunks { data.append(contentsOf: chunk) }
        return Snapshot(metadata: metadata, data: data)
    }
}
