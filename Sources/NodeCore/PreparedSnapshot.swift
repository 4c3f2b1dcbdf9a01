import RaftCore

/// A snapshot's file written, synced and renamed into place off the Raft loop, waiting for its
/// marker in the WAL: storing it is then one unsynced record, not a write of the whole table.
public struct PreparedSnapshot: Sendable, Equatable {
    /// The snapshot the file holds.
    public let metadata: SnapshotMetadata
    /// The length of its state-machine bytes.
    public let size: Int
    /// Where the file waits.
    public let path: String

    public init(metadata: SnapshotMetadata, size: Int, path: String) {
        self.metadata = metadata
        self.size = size
        self.path = path
    }
}
