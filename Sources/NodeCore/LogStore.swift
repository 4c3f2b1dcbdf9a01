import RaftCore

/// Where a node's Raft state becomes durable. `NodeCore` calls it for every batch that must
/// reach the disk before its messages leave; the node runtime passes its write-ahead log, the
/// simulator the same storage code over an in-memory disk.
public protocol LogStore: AnyObject, Sendable {
    /// Makes `snapshot`, then `entries` (replacing stored entries from the first one's index),
    /// then `hardState` durable, returning only once they are synced; a batch that only moves
    /// the commit index forward need not be synced (a node may restart with an older commit
    /// index, never an older term or vote). On failure nothing of the batch may be taken as stored.
    func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?) throws(LogStoreFailure)

    /// Stores a snapshot the node took itself, as `persist` does, from `prepared`: the same
    /// snapshot's file, already written and synced off the loop. A store without such files, or
    /// a `prepared` that does not match, writes the snapshot as `persist` would.
    func persist(snapshot: Snapshot, prepared: PreparedSnapshot?) throws(LogStoreFailure)

    /// `persist(hardState:entries:snapshot:)`, with the snapshot's file taken from `prepared` when
    /// it holds this very snapshot (a snapshot from the leader, written off the loop); otherwise,
    /// or in a store without such files, the snapshot is written as `persist` would.
    func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?, prepared: PreparedSnapshot?) throws(LogStoreFailure)
}

extension LogStore {
    public func persist(snapshot: Snapshot, prepared: PreparedSnapshot?) throws(LogStoreFailure) {
        try persist(hardState: nil, entries: [], snapshot: snapshot)
    }

    public func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?, prepared: PreparedSnapshot?) throws(LogStoreFailure) {
        try persist(hardState: hardState, entries: entries, snapshot: snapshot)
    }
}

/// Why a batch could not be stored, and whether retrying the same batch later can succeed
/// (a full disk can; a failed fsync cannot: the disk no longer matches what the node believes).
public struct LogStoreFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var retryable: Bool

    public init(_ message: String, retryable: Bool) {
        self.message = message
        self.retryable = retryable
    }

    public var description: String { message }
}
