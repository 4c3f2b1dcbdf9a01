import BinaryCoding
import NodeCore
import RaftCore
import TaskQueue

/// One simulated node: the node runtime's own `NodeCore` over a simulated disk that loses
/// whatever was not synced when the node crashes. What the simulator adds is only what a
/// real node's host adds: a clock, a network, and workers that take simulated time.
struct SimNode: Sendable {
    let id: NodeID
    var config: NodeCoreConfig
    var core: NodeCore
    let disk: SimStore
    var up = true
    /// Bumped whenever the state machine is rebuilt (restart, snapshot install).
    var incarnation = 0
    /// Bumped on every restart of the process.
    var boots = 0
    /// Set when this tick's batch waits for the next tick: a slow fsync, in the middle of things.
    var deferred = false

    /// Client submits this node proposed as leader, by request (the proposal's token).
    var pendingClient: Set<UInt64> = []
    /// Tasks this node's workers run: task -> (epoch, tick it finishes).
    var running: [TaskID: (epoch: UInt64, finishAt: UInt64)] = [:]

    init(id: NodeID, config: NodeCoreConfig, bootstrap: Membership?, lazyFsync: Bool) {
        self.id = id
        self.config = config
        disk = SimStore(lazy: lazyFsync)
        // A fresh store holds nothing to decode, so the core cannot refuse it.
        core = try! NodeCore(config: config, store: disk, restoring: disk.recover(), bootstrap: bootstrap)
    }

    /// Crash: everything in memory and every unsynced write is gone.
    mutating func crash() {
        up = false
        disk.crash()
        pendingClient = []
        running = [:]
        deferred = false
    }

    /// Restart from what reached the disk; returns what was recovered.
    mutating func restart(seed: UInt64) throws(NodeRefusal) -> PersistentState {
        var c = config
        c.raft.randomSeed = seed
        let state = disk.recover()
        core = try NodeCore(config: c, store: disk, restoring: state)
        incarnation += 1
        boots += 1
        up = true
        return state
    }
}
