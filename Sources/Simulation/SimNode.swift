import BinaryCoding
import RaftCore
import TaskQueue

/// One simulated node: a `RaftNode` and a `TaskQueueState` wired the way the real node
/// runtime wires them, over simulated storage that loses whatever was not synced when
/// the node crashes.
struct SimNode: Sendable {
    let id: NodeID
    var config: RaftConfig
    var raft: RaftNode
    var queue = TaskQueueState()
    /// What survives a crash.
    var durable: PersistentState
    /// Ready batches written but not yet synced, oldest first; a crash loses them.
    var unsynced: [Ready] = []
    var up = true
    /// Bumped whenever the state machine is rebuilt (restart, snapshot install).
    var incarnation = 0
    /// The last entry the task queue has applied.
    var applied: UInt64 = 0
    /// Bumped on every restart of the process.
    var boots = 0

    /// Client submits this node proposed as leader: entry index -> (term, request, client).
    var pendingClient: [UInt64: (term: UInt64, request: UInt64)] = [:]
    /// Tasks this node is running: task -> (epoch, tick it finishes).
    var running: [TaskID: (epoch: UInt64, finishAt: UInt64)] = [:]
    /// Completions not yet seen applied: task -> (command, last tick sent).
    var reports: [TaskID: (command: Command, sentAt: UInt64)] = [:]
    /// Leader housekeeping: don't propose again until the previous batch has applied.
    var housekeepingIndex: UInt64 = 0

    init(id: NodeID, config: RaftConfig, bootstrap: Membership?) {
        self.id = id
        self.config = config
        var raft = RaftNode(config: config)
        if let bootstrap { try! raft.bootstrap(bootstrap) }
        self.raft = raft
        self.durable = PersistentState(hardState: HardState())
    }

    /// Crash: everything in memory and every unsynced write is gone.
    mutating func crash() {
        up = false
        unsynced = []
        pendingClient = [:]
        running = [:]
        reports = [:]
    }

    /// Restart from what reached the disk.
    mutating func restart(seed: UInt64) {
        var c = config
        c.randomSeed = seed
        raft = RaftNode(config: c, restoring: durable)
        queue = TaskQueueState()
        applied = 0
        if let s = durable.snapshot, let restored = try? TaskQueueState(snapshot: s.data) {
            queue = restored
            applied = s.metadata.index
        }
        incarnation += 1
        boots += 1
        housekeepingIndex = 0
        up = true
    }

    /// Moves a Ready batch to the "disk": written now, durable once synced.
    mutating func persist(_ ready: Ready) {
        if let s = ready.snapshot {
            durable.snapshot = s
            durable.entries.removeAll { $0.index <= s.metadata.index }
        }
        if let first = ready.entries.first?.index {
            if let k = durable.entries.firstIndex(where: { $0.index >= first }) {
                durable.entries.removeSubrange(k...)
            }
            durable.entries.append(contentsOf: ready.entries)
        }
        if let hs = ready.hardState { durable.hardState = hs }
    }

    /// Takes a state-machine snapshot and compacts the log once enough has been applied.
    /// `appliedIndex` is what the state machine has really applied (the core may be ahead,
    /// with committed entries still waiting in unsynced batches).
    mutating func maybeCompact(every: Int, appliedIndex: UInt64) {
        guard appliedIndex >= raft.snapshotIndex + UInt64(every) else { return }
        do {
            try raft.compact(index: appliedIndex, snapshotData: queue.snapshot())
        } catch {
            return
        }
        guard let snap = raft.latestSnapshot else { return }
        durable.snapshot = snap
        durable.entries.removeAll { $0.index <= snap.metadata.index }
    }
}
