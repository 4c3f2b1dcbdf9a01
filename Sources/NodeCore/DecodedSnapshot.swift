import BinaryCoding
import RaftCore
import TaskQueue

/// A snapshot from the leader made ready off the Raft loop (`SnapshotInstallJob`): its bytes in
/// one piece, the task queue they hold or why they do not decode, and its file when the host
/// could write it there (`PreparedSnapshot`).
public struct DecodedSnapshot: Sendable {
    public let snapshot: Snapshot
    public let queue: Result<TaskQueueState, DecodingError>
    public var prepared: PreparedSnapshot?

    public init(snapshot: Snapshot, queue: Result<TaskQueueState, DecodingError>, prepared: PreparedSnapshot? = nil) {
        self.snapshot = snapshot
        self.queue = queue
        self.prepared = prepared
    }

    public var metadata: SnapshotMetadata { snapshot.metadata }
}
