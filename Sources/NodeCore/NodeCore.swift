import RaftCore
import TaskQueue

/// One node's logic, whole and pure: its `RaftNode` and `TaskQueueState`, the persist ->
/// send -> apply loop, proposals waiting for their entries, the leader's scheduling and
/// requeueing, and the path of its workers' reports. The node runtime and the simulator
/// both drive this type; only time (`tick(nowMs:)`), the disk (`LogStore`) and the
/// network (the messages `process()` returns) differ between them.
///
/// Feed it inputs, then call `process()` and act on the `NodeOutput` it returns.
public struct NodeCore: Sendable {
    public let config: NodeCoreConfig
    public internal(set) var raft: RaftNode
    public internal(set) var queue = TaskQueueState()
    let store: any LogStore

    /// The last entry the task queue applied.
    public internal(set) var applied: UInt64
    /// Entries up to here were committed before this process started: replaying them
    /// rebuilds the queue but starts no task (the resume after the replay does that).
    public let startupIndex: UInt64
    /// Whether the tasks this node held before it restarted were handed to its workers again.
    var resumedOwnTasks = false
    /// Ticks since start, and the host's clock (ms since the epoch) at the last tick.
    public internal(set) var ticks: UInt64 = 0
    public internal(set) var nowMs: UInt64 = 0

    /// Proposals waiting for their entries: index -> (term, host token).
    var waiting: [UInt64: (term: UInt64, token: UInt64)] = [:]
    /// Linearizable reads whose leadership a quorum confirmed, waiting for `applied` to reach
    /// their index: (index, host token).
    var confirmedReads: [(index: UInt64, token: UInt64)] = []
    /// The index of the snapshot the host is encoding, while it does.
    var encodingSnapshot: UInt64?
    /// The snapshot from the leader the host is decoding (`NodeOutput.install`), while it does.
    var installingSnapshot: SnapshotMetadata?
    /// A snapshot from the leader Raft installed, waiting for its batch: the queue decoded off the
    /// loop, swapped in once the batch is stored (its file from `prepared` when written there).
    var restoring: (metadata: SnapshotMetadata, queue: TaskQueueState, prepared: PreparedSnapshot?)?
    /// The leader proposes housekeeping again only once its previous batch applied.
    var housekeepingIndex: UInt64 = 0
    /// Members' task slots as last decoded, and the membership they were decoded from.
    var slotsCache: (membership: Membership, slots: [NodeID: Int])?
    /// Tasks handed to this node's workers: task -> epoch.
    var running: [TaskID: UInt64] = [:]
    /// Worker reports not yet seen applied: task -> (command, tick last sent).
    var reports: [TaskID: (command: Command, sentAt: UInt64)] = [:]

    /// A batch whose write failed with a retryable error, held until the disk takes it.
    var stalled: Ready?
    var stalledSince: UInt64 = 0
    /// Why the disk refuses writes, while it does.
    public internal(set) var storageProblem: String?
    /// Set once storage failed for good; the node must stop.
    public internal(set) var fatal: String?
    /// The highest commit index seen, to check it never goes back.
    var highestCommit: UInt64

    var output = NodeOutput()

    /// A node over `store`, restored from what it holds. `bootstrap` founds a new cluster
    /// when the store is empty (ignored otherwise: a restarted founder keeps its log).
    public init(config: NodeCoreConfig, store: any LogStore, restoring state: PersistentState,
                bootstrap: Membership? = nil) throws(NodeRefusal) {
        self.config = config
        self.store = store
        var raft = RaftNode(config: config.raft, restoring: state)
        if let snap = state.snapshot {
            do {
                queue = try TaskQueueState(snapshot: snap.data)
            } catch {
                throw .invalid("the snapshot at \(snap.metadata.index) does not decode: \(error)")
            }
        }
        applied = state.snapshot?.metadata.index ?? 0
        startupIndex = state.hardState.commit
        highestCommit = state.hardState.commit
        if state.isEmpty, let bootstrap {
            do { try raft.bootstrap(bootstrap) } catch { throw NodeRefusal(error) }
        }
        self.raft = raft
    }

    public var id: NodeID { config.id }
    public var isLeader: Bool { raft.role == .leader }

    // MARK: - Inputs

    /// One tick of the host's clock. While the disk refuses writes Raft stands still, as if
    /// the process were paused, and the held batch is retried every `storageRetryTicks`.
    public mutating func tick(nowMs: UInt64) {
        ticks += 1
        self.nowMs = nowMs
        if stalled != nil {
            if (ticks - stalledSince) % config.storageRetryTicks == 0 { retryStalled() }
            return
        }
        raft.tick()
        if isLeader, ticks % config.housekeepingTicks == 0 { leaderHousekeeping() }
        resendReports()
    }

    /// A message from a peer. Dropped while the disk refuses writes: the peer sees a lost message.
    public mutating func receive(_ message: Message) {
        guard stalled == nil else { return }
        raft.step(message)
    }

    /// A peer's connection closed: a follower may start a pre-vote at once.
    public mutating func peerDisconnected(_ peer: NodeID) {
        guard stalled == nil else { return }
        raft.peerDisconnected(peer)
    }

    /// Proposes a task-queue command; `token` comes back in `NodeOutput.settled` once its
    /// entry applies (or loses its index). Throws at once when this node cannot take it.
    public mutating func propose(_ command: Command, token: UInt64?) throws(NodeRefusal) {
        try refuseWhileStalled()
        if case .submit(let key, _, _) = command { try admit(key: key) }
        let at: EntryID
        do { at = try raft.propose(command.encode()) } catch { throw NodeRefusal(error) }
        if let token { waiting[at.index] = (at.term, token) }
    }

    /// Refuses a submit of a new key while the unfinished tasks (with the proposals not yet
    /// applied, most of them submits) reach the limit; a known key always passes, so a retry
    /// answers with its task. Only the leader's admission: followers forward, and what the
    /// log holds applies everywhere alike.
    func admit(key: String) throws(NodeRefusal) {
        let limit = config.maxUnfinishedTasks
        guard limit > 0, queue.task(forKey: key) == nil, queue.removedTask(forKey: key) == nil else { return }
        if queue.taskCount - queue.finishedCount + waiting.count >= limit { throw .full(limit: limit) }
    }

    /// Starts a linearizable read (ReadIndex): `token` comes back in `NodeOutput.reads` once a
    /// quorum has confirmed this node still leads and the task queue has applied everything
    /// committed when the read began. Throws at once on a node that does not lead. A read
    /// that loses its leadership never comes back: the host times it out.
    public mutating func read(token: UInt64) throws(NodeRefusal) {
        precondition(token != 0, "token 0 is reserved")
        if config.plantedBug == .staleReads {
            output.reads.append(token)
            return
        }
        try refuseWhileStalled()
        do { try raft.readIndex(context: token) } catch { throw NodeRefusal(error) }
    }

    public mutating func proposeConfChange(_ change: ConfChange, token: UInt64?) throws(NodeRefusal) {
        try refuseWhileStalled()
        let at: EntryID
        do { at = try raft.proposeConfChange(change) } catch { throw NodeRefusal(error) }
        if let token { waiting[at.index] = (at.term, token) }
    }

    /// Starts handing leadership to `target`, or to the most caught-up other voter; returns who.
    public mutating func transferLeadership(to target: NodeID?) throws(NodeRefusal) -> NodeID {
        try refuseWhileStalled()
        guard isLeader else { throw .notLeader(leader: raft.leader) }
        guard let target = target ?? mostCaughtUpVoter() else {
            throw .invalid("there is no other voter to transfer leadership to")
        }
        do { try raft.transferLeadership(to: target) } catch { throw NodeRefusal(error) }
        return target
    }

    /// Founds the cluster on this uninitialized node.
    public mutating func bootstrap(_ membership: Membership) throws(NodeRefusal) {
        try refuseWhileStalled()
        do { try raft.bootstrap(membership) } catch { throw .invalid(error.description) }
    }

    /// What one of this node's workers did with a task (`start`, `complete` or `fail`). The
    /// leader proposes it; a follower forwards it to the leader, and again every
    /// `reportResendTicks` until its effect is applied or the task has moved on.
    public mutating func report(_ command: Command) {
        guard let task = command.task else { return }
        reports[task] = (command, ticks)
        send(report: command)
    }

    /// Every waiting proposal's token, forgotten: the host is shutting down and answers them.
    public mutating func abandonWaiting() -> [UInt64] {
        defer { waiting = [:] }
        return waiting.keys.sorted().map { waiting[$0]!.token }
    }

    func mostCaughtUpVoter() -> NodeID? {
        raft.status.peers.filter(\.isVoter).max { ($0.match, $1.id) < ($1.match, $0.id) }?.id
    }

    func refuseWhileStalled() throws(NodeRefusal) {
        if let fatal { throw .storage(fatal) }
        if let storageProblem { throw .storage(storageProblem) }
    }
}

extension Command {
    /// The task a command is about, if it is about one.
    var task: TaskID? {
        switch self {
        case let .assign(t, _, _, _), let .start(t, _, _, _), let .complete(t, _, _, _, _),
             let .fail(t, _, _, _, _), let .cancel(t, _), let .timeout(t, _, _):
            t
        case .submit, .requeue, .expire:
            nil
        }
    }
}
