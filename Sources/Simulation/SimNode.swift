import BinaryCoding
import Logging
import NodeCore
import NodeStorage
import RaftCore
import TaskQueue

/// One simulated node: the node runtime's own `NodeCore` over the node runtime's own
/// `NodeStorage`, on a seeded in-memory disk whose crash is a power cut (what was not fsynced
/// may be lost or torn). What the simulator adds is only what a real node's host adds: a
/// clock, a network, and workers that take simulated time.
struct SimNode: Sendable {
    let id: NodeID
    var config: NodeCoreConfig
    var core: NodeCore
    let disk: MemoryDisk
    var storage: NodeStorage
    var up = true
    /// Bumped whenever the state machine is rebuilt (restart, snapshot install).
    var incarnation = 0
    /// Bumped on every restart of the process.
    var boots = 0
    /// Set when this tick's batch waits for the next tick: a slow fsync, in the middle of things.
    var deferred = false
    /// A power cut is due within the next few disk operations.
    var cutArmed = false

    /// Client submits this node proposed as leader, by request (the proposal's token).
    var pendingClient: Set<UInt64> = []
    /// Tasks this node's workers run: task -> (epoch, tick it finishes).
    var running: [TaskID: (epoch: UInt64, finishAt: UInt64)] = [:]

    static let logger = Logger(label: "sim") { _ in SwiftLogNoOpLogHandler() }
    var directory: String { "/\(id)" }

    static func options(fsync: Bool) -> StorageOptions {
        var o = StorageOptions()
        // Small segments, so rollovers and the removal of old segments happen in every run.
        o.segmentSize = 32 << 10
        o.fsync = fsync
        return o
    }

    /// A node on an empty disk; `lazyFsync` plants the bug of a node that never syncs.
    init(id: NodeID, config: NodeCoreConfig, bootstrap: Membership?, diskSeed: UInt64, lazyFsync: Bool) {
        self.id = id
        self.config = config
        self.lazyFsync = lazyFsync
        disk = MemoryDisk(seed: diskSeed)
        do {
            let (storage, state) = try NodeStorage.open(directory: "/\(id)", disk: disk, options: Self.options(fsync: !lazyFsync),
                                                        logger: Self.logger)
            self.storage = storage
            core = try NodeCore(config: config, store: storage, restoring: state, bootstrap: bootstrap)
        } catch {
            preconditionFailure("\(id) could not start on an empty in-memory disk: \(error)")
        }
    }

    /// The planted bug of a node whose storage never syncs.
    let lazyFsync: Bool

    /// Crash: the process and the power go; everything in memory and whatever the disk had
    /// not made durable is gone.
    mutating func crash() {
        up = false
        storage.close()
        disk.crash()
        cutArmed = false
        pendingClient = []
        running = [:]
        deferred = false
    }

    /// Restart from what the disk recovers; returns what was recovered, or nil when the disk is
    /// too full to open (as a real node would refuse to start; it is tried again later).
    mutating func restart(seed: UInt64) throws(SimFailure) -> PersistentState? {
        var c = config
        c.raft.randomSeed = seed
        do {
            let (storage, state) = try NodeStorage.open(directory: directory, disk: disk, options: Self.options(fsync: !lazyFsync), logger: Self.logger)
            self.storage = storage
            core = try NodeCore(config: c, store: storage, restoring: state)
            incarnation += 1
            boots += 1
            up = true
            return state
        } catch let error as StorageError where error.isRetryable {
            disk.crash()
            return nil
        } catch {
            throw SimFailure("\(id) could not restart from its disk: \(error)")
        }
    }
}

/// Something the simulated world itself could not do (a node that cannot recover its disk).
struct SimFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
