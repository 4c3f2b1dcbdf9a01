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
    /// The node's disk; a wipe puts an empty one in its place.
    var disk: MemoryDisk
    var storage: NodeStorage
    var up = true
    /// The incarnation its storage drew (`NodeIdentity`, as the node runtime keeps it): who it is
    /// to its peers. A wiped disk draws a new one.
    var identity: UInt64
    /// Task slots on the node's command line (`--slots`), which it reports while founding; an
    /// operator may restart a founder with others.
    var slots = 0
    /// The founders on this node's command line when an operator gave it others than every
    /// other founder (`--peers`: a typo, a stale script); nil when it has the same as the others.
    /// A property of its command line: it lasts until it is restarted with the right one.
    var otherPeers: [NodeID: MemberAddress]?
    /// Set while this founder, on empty storage, asks the other founders whether it may found
    /// (`FounderCheck`, as the runtime's founder service runs it); until it decides, it takes
    /// no part in Raft. The reports are what it heard since its process started.
    var founding: FounderCheck?
    var founderReports: [NodeID: FounderCheck.Report] = [:]
    /// Bumped whenever the state machine is rebuilt (restart, snapshot install).
    var rebuilds = 0
    /// The incarnation its membership records for each member (the transport's admission check),
    /// kept beside the membership it was read from, which changes rarely.
    var incarnations: [NodeID: UInt64] = [:]
    /// Bumped on every restart of the process.
    var boots = 0
    /// Set when this tick's batch waits for the next tick: a slow fsync, in the middle of things.
    var deferred = false
    /// A power cut is due within the next few disk operations.
    var cutArmed = false
    /// A slow disk: every fsync takes this many ticks, so the node's batch is persisted (and
    /// only then sent and applied) once every `slowDiskTicks` ticks; 0 for a healthy disk.
    /// A property of the disk: it survives a crash and restart, and only a heal clears it.
    var slowDiskTicks = 0
    /// With a slow disk, the tick the fsync in progress returns (the next batch is processed).
    var nextSyncAt: UInt64 = 0
    /// Batches this node's core has processed (persisted, sent, applied), restarts included.
    var batches = 0
    /// How fast the node's timers run against simulated time; nil for a true clock. A property
    /// of the host: it survives a crash and restart, and only a heal clears it.
    var clock: ClockSkew?

    /// Client submits this node proposed as leader, by request (the proposal's token).
    var pendingClient: Set<UInt64> = []
    /// Linearizable reads this node started (ReadIndex), by request: the key each asks about.
    var pendingReads: [UInt64: String] = [:]
    /// A snapshot being encoded off the loop, and the tick its bytes come back.
    var encoding: (job: SnapshotJob, readyAt: UInt64)?
    /// Snapshots from the leader being decoded off the loop, oldest first, and the tick each comes back.
    var installing: [(job: SnapshotInstallJob, readyAt: UInt64)] = []
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

    /// A node on an empty disk, which draws `identity`; `lazyFsync` plants the bug of a node that never syncs.
    init(id: NodeID, config: NodeCoreConfig, bootstrap: Membership?, diskSeed: UInt64, identity: UInt64, lazyFsync: Bool) {
        self.id = id
        self.config = config
        self.lazyFsync = lazyFsync
        disk = MemoryDisk(seed: diskSeed)
        do {
            let (storage, state) = try NodeStorage.open(directory: "/\(id)", disk: disk, options: Self.options(fsync: !lazyFsync),
                                                        logger: Self.logger)
            self.storage = storage
            self.identity = try NodeIdentity.loadOrCreate(directory: "/\(id)", disk: disk, fresh: identity, fsync: !lazyFsync)
            core = try NodeCore(config: config, store: storage, restoring: state, bootstrap: bootstrap)
        } catch {
            preconditionFailure("\(id) could not start on an empty in-memory disk: \(error)")
        }
    }

    mutating func refreshIncarnations() {
        let m = core.raft.membership
        incarnations = [:]
        for id in m.ids { if let inc = m.incarnation(of: id) { incarnations[id] = inc } }
    }

    /// Whether a peer presenting `identity` as `peer` is admitted, by the runtime's rule
    /// (`KnownIncarnations`): only a membership that records this node as the incarnation it is
    /// judges; one from before this node was added back admits every peer.
    func admits(_ peer: NodeID, identity: UInt64) -> Bool {
        guard incarnations[id] == self.identity else { return true }
        return incarnations[peer].map { $0 == identity } ?? true
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
        pendingReads = [:]
        running = [:]
        encoding = nil
        installing = []
        deferred = false
        founding = nil
        founderReports = [:]
        // An fsync in progress dies with the process. A restarted node keeps its slow disk (and
        // its skewed clock): its first batch syncs at once, then one fsync every `slowDiskTicks`.
        nextSyncAt = 0
    }

    /// Restart from what the disk recovers; returns what was recovered, or nil when the disk is
    /// too full to open (as a real node would refuse to start; it is tried again later).
    /// `identity` is drawn if the disk holds none (it was wiped); `bootstrap` founds a cluster
    /// on an empty disk, as the founder check decided.
    mutating func restart(seed: UInt64, identity fresh: UInt64, bootstrap: Membership? = nil) throws(SimFailure) -> PersistentState? {
        var c = config
        c.raft.randomSeed = seed
        do {
            let (storage, state) = try NodeStorage.open(directory: directory, disk: disk, options: Self.options(fsync: !lazyFsync), logger: Self.logger)
            self.storage = storage
            identity = try NodeIdentity.loadOrCreate(directory: directory, disk: disk, fresh: fresh, fsync: !lazyFsync)
            core = try NodeCore(config: c, store: storage, restoring: state, bootstrap: bootstrap)
            rebuilds += 1
            boots += 1
            up = true
            return state
        } catch let error as StorageError where error.isRetryable {
            storage.close()
            disk.crash()
            return nil
        } catch {
            throw SimFailure("\(id) could not restart from its disk: \(error)")
        }
    }
}

/// A node's timers running fast or slow: `core.tick` is called `k` times per simulated tick,
/// or once every `k` simulated ticks.
enum ClockSkew: Sendable, Equatable, CustomStringConvertible {
    case fast(Int)
    case slow(Int)

    /// `3x fast` or `1/3 speed`.
    var description: String {
        switch self {
        case .fast(let k): "\(k)x fast"
        case .slow(let k): "1/\(k) speed"
        }
    }

    /// Timer ticks the node gets in simulated tick `now`.
    func ticks(at now: UInt64) -> Int {
        switch self {
        case .fast(let k): max(1, k)
        case .slow(let k): now % UInt64(max(1, k)) == 0 ? 1 : 0
        }
    }
}

/// Something the simulated world itself could not do (a node that cannot recover its disk).
struct SimFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
