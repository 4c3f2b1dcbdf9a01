import RaftCore
import TaskQueue

/// What one `NodeCore.process()` hands its host, already persisted: messages to send, entries
/// applied, outcomes of proposals, tasks for the local workers, reports to forward to the leader.
public struct NodeOutput: Sendable {
    /// Raft messages, safe to send: everything they depend on is stored.
    public var messages: [Message] = []
    /// Entries applied to the task queue, in order, with what each did (empty for config entries).
    public var applied: [AppliedEntry] = []
    /// Proposals whose entry applied (or lost its index), by the host's token.
    public var settled: [(token: UInt64, result: Result<[Effect], NodeRefusal>)] = []
    /// Tasks this node's workers should run now.
    public var start: [TaskRecord] = []
    /// Tasks this node's workers should stop: cancelled, timed out or taken elsewhere.
    public var stop: [TaskID] = []
    /// Worker reports to send to the leader, which proposes them.
    public var forward: [(command: Command, leader: NodeID)] = []
    public var events: [CoreEvent] = []
    /// Linearizable reads (by the host's token) that may now be served from the task queue.
    public var reads: [UInt64] = []
    /// Set when the task queue was replaced by a snapshot from the leader.
    public var restoredSnapshot = false
    /// The task queue that snapshot replaced, and the snapshot it replaced as Raft's latest, for
    /// the host to free away from its loop: freeing a large table is a pass over it (about 5 ms for
    /// 100k tasks and 100k remembered keys), and unmapping a large snapshot's bytes takes ms too.
    public var replacedQueue: TaskQueueState?
    public var replacedSnapshot: Snapshot?
    /// A snapshot is due: encode `state` (a frozen copy of the task queue as of `index`) away
    /// from the loop and hand the bytes back with `NodeCore.snapshotEncoded`.
    public var encode: SnapshotJob?
    /// A whole snapshot arrived from the leader: decode it and write its file away from the loop
    /// and hand it back with `NodeCore.snapshotDecoded`, which installs it and only then
    /// acknowledges it to the leader.
    public var install: SnapshotInstallJob?
    /// A storage failure the node cannot survive: the host must stop the process (and
    /// recover from disk on restart). Nothing after the failed batch was sent or applied.
    public var fatal: String?

    public init() {}

    public var isEmpty: Bool {
        messages.isEmpty && applied.isEmpty && settled.isEmpty && start.isEmpty && stop.isEmpty
            && forward.isEmpty && events.isEmpty && reads.isEmpty && !restoredSnapshot && fatal == nil && encode == nil
            && install == nil
    }
}

/// The task queue as it was after applying entry `index`, to be encoded into a snapshot. A value:
/// the live queue goes on changing while the host encodes this one on another thread.
public struct SnapshotJob: Sendable {
    public let index: UInt64
    /// What the stored snapshot will record beside the bytes: known now, so the host may write
    /// the whole file off the loop (`PreparedSnapshot`).
    public let metadata: SnapshotMetadata
    public let state: TaskQueueState

    /// The snapshot's bytes (the slow part: one pass over the whole task table).
    public func encode() -> [UInt8] { state.snapshot() }
}

/// One applied entry and its effects on the task queue.
public struct AppliedEntry: Sendable {
    public var entry: Entry
    public var effects: [Effect]
}
