import RaftCore
import TaskQueue

/// Something that happened inside a node's core, for its log, its event stream and checkers.
public enum CoreEvent: Sendable, Equatable {
    case raft(RaftEvent)
    /// A batch could not be stored; the node holds it, refuses writes, and retries.
    case storageStalled(String)
    /// The held batch was stored: the node takes writes again.
    case storageRecovered(after: String)
    /// The state machine was snapshotted and the log compacted at `index`.
    case compacted(index: UInt64)
    case compactionFailed(index: UInt64, reason: String)
    /// Tasks this node held before it restarted (or that arrived in a snapshot) are handed to its workers again.
    case resumedTasks(count: Int, why: String)
    /// A broken invariant the core noticed itself: always a bug or corruption.
    case invariant(String)
}
