import BinaryCoding
import RaftCore
import TaskQueue

/// A whole snapshot the leader sent, for the host to make ready away from the Raft loop: its
/// chunks joined and the task queue decoded from them (each a pass over the whole table), and on
/// a `NodeStorage` its file written too (`decodeAndPrepare`). The host hands the result to
/// `NodeCore.snapshotDecoded`; installing it on the loop is then a swap and the WAL's marker.
public struct SnapshotInstallJob: Sendable {
    public let received: IncomingSnapshot

    public init(received: IncomingSnapshot) {
        self.received = received
    }

    public var metadata: SnapshotMetadata { received.metadata }

    /// The snapshot in one piece and the task queue it holds (the slow part).
    public func decode() -> DecodedSnapshot {
        let snapshot = received.joined()
        do {
            return DecodedSnapshot(snapshot: snapshot, queue: .success(try TaskQueueState(snapshot: snapshot.data)))
        } catch {
            return DecodedSnapshot(snapshot: snapshot, queue: .failure(error))
        }
    }
}
