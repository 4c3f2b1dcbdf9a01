import RaftCore

/// A snapshot's file written and synced under a temporary name off the Raft loop, waiting to be
/// stored: storing it is then a rename and a directory sync, not a write of the whole table.
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
