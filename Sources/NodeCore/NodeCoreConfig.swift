import RaftCore

/// How one node's core behaves: its Raft tunables and the leader's task-queue duties. Times
/// are in ticks (the node runtime ticks every 10 ms, and so does the simulator's clock).
public struct NodeCoreConfig: Sendable {
    public var raft: RaftConfig
    /// Applied entries between state-machine snapshots (the log is compacted at each), at least.
    public var snapshotEvery: Int = 10_000
    /// A snapshot also waits for (tasks in the table / this) applied entries; 0 turns that off.
    /// A snapshot is one pass over the table, so its cost per entry stays bounded as the table
    /// grows. The log held in memory grows with it instead, by some 100 bytes an entry.
    public var snapshotTableShare: Int = 4
    /// How often the leader schedules queued tasks and requeues those of unreachable nodes.
    public var housekeepingTicks: UInt64 = 10
    /// How often the leader looks for overdue tasks and tasks held by removed members.
    public var timeoutSweepTicks: UInt64 = 100
    /// A node the leader has not heard from for this many election timeouts loses its tasks
    /// (they are requeued with a higher epoch, which fences out the node's late reports).
    public var requeueAfterElectionTimeouts: UInt64 = 5
    /// Assignments the leader proposes per housekeeping round.
    public var scheduleLimit: Int = 64
    /// How long finished tasks and the keys of removed ones are kept, and how many.
    public var retention = Retention()
    /// A leader refuses new submits while the table holds this many unfinished tasks (queued,
    /// assigned or running) counting those proposed and not yet applied: retention bounds the
    /// finished ones, this the rest, so a load the workers cannot keep up with is pushed back
    /// to its clients instead of growing the node's memory without end. 0: no limit.
    public var maxUnfinishedTasks: Int = NodeCoreConfig.defaultMaxUnfinishedTasks
    /// About 25 MB of task records at the ~0.5 KB a task takes.
    public static let defaultMaxUnfinishedTasks = 50_000
    /// A worker's report not yet seen applied is sent again after this many ticks.
    public var reportResendTicks: UInt64 = 40
    /// While the disk refuses writes, the held batch is retried this often.
    public var storageRetryTicks: UInt64 = 50
    /// A deliberate bug, for tests of the checkers only.
    public var plantedBug: PlantedBug?

    public init(raft: RaftConfig) { self.raft = raft }

    public var id: NodeID { raft.id }
}
