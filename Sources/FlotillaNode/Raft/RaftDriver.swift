import BinaryCoding
#if canImport(Glibc)
import Glibc
#endif
import FlotillaAPI
import Logging
import NodeStorage
import PeerTransport
import Prometheus
import RaftCore
import Synchronization
import TaskQueue

/// Owns one node's `RaftNode` and `TaskQueueState` and drives them: it drains its inbox
/// in batches, then persists (one fsync per batch), sends, and applies, in the order
/// `Ready` requires. Everything else talks to it through the inbox or reads the state it
/// publishes after every batch.
actor RaftDriver {
    let config: NodeConfig
    let logger: Logger
    let storage: NodeStorage
    let transport: PeerTransport
    let events: EventLog
    let metrics: NodeMetrics
    let inbox: Inbox<DriverInput>
    nonisolated let board: StatusBoard

    var raft: RaftNode
    var queue = TaskQueueState()
    /// Proposals waiting for their entries, by index.
    var waiting: [UInt64: (term: UInt64, proposal: Proposal)] = [:]
    /// Leader housekeeping waits until its previous proposals applied.
    var housekeepingIndex: UInt64 = 0
    var ticks: UInt64 = 0
    /// The commit index on disk when the process started (see `startupIndex`).
    let replayedThrough: UInt64
    /// Whether the tasks this node held before a restart were handed to the executor again.
    var resumedOwnTasks = false
    var lastRole: Role = .follower
    var storageFailed: String?
    var peerHints: [NodeID: String] = [:]
    /// Called with tasks newly assigned to this node (after apply, not during replay).
    var onAssigned: (@Sendable ([TaskRecord]) -> Void)?

    init(config: NodeConfig, storage: NodeStorage, restored: PersistentState, transport: PeerTransport,
         events: EventLog, metrics: NodeMetrics, inbox: Inbox<DriverInput>, logger: Logger) throws {
        self.config = config
        self.metrics = metrics
        self.inbox = inbox
        self.logger = logger
        self.storage = storage
        self.transport = transport
        self.events = events
        var rc = RaftConfig(id: config.id)
        rc.heartbeatTicks = max(1, config.heartbeatMs / config.tickMs)
        rc.electionTicks = max(rc.heartbeatTicks + 1, config.electionMs / config.tickMs)
        var seed = SystemRandomNumberGenerator()
        rc.randomSeed = seed.next()
        #if DEBUG
        rc.trapOnInvariantViolation = true
        #else
        rc.trapOnInvariantViolation = false
        #endif
        self.replayedThrough = restored.hardState.commit
        var raft = RaftNode(config: rc, restoring: restored)
        if let snap = restored.snapshot {
            queue = try TaskQueueState(snapshot: snap.data)
        }
        let fresh = restored.hardState.term == 0 && restored.entries.isEmpty && restored.snapshot == nil
        if fresh, !config.bootstrapPeers.isEmpty {
            let members = config.bootstrapPeers.map {
                Member(id: $0.id, isVoter: true, address: MemberAddress(raft: $0.raftAddress, admin: $0.adminAddress, slots: config.slots).encoded)
            }
            try raft.bootstrap(Membership(members))
        }
        self.raft = raft
        self.board = StatusBoard(RaftDriver.makeStatus(raft: raft, queue: queue, config: config, faults: FaultSpec(), uptimeMs: 0))
    }

    // MARK: - The loop

    /// Runs until `stop()`: ticks on a timer, batches inputs, persists, sends, applies.
    func run() async {
        let ticker = Task { [inbox, tickMs = config.tickMs] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(tickMs))
                inbox.push(.tick)
            }
        }
        defer { ticker.cancel() }
        updatePeers()
        process()
        while true {
            let batch = await inbox.take()
            if batch.isEmpty { break }
            for input in batch { handle(input) }
            process()
        }
        for (_, w) in waiting { w.proposal.finish(.failure(APIError("the node is shutting down", code: APIErrorCode.unavailable))) }
        waiting = [:]
    }

    nonisolated func stop() { inbox.close() }

    func handle(_ input: DriverInput) {
        switch input {
        case .tick:
            ticks += 1
            raft.tick()
            if raft.role == .leader, ticks % 10 == 0 { leaderHousekeeping() }
        case .message(let m):
            raft.step(m)
        case .peerDown(let id):
            raft.peerDisconnected(id)
        case let .propose(command, proposal):
            guard storageFailed == nil else {
                proposal.finish(.failure(APIError("storage is failing: \(storageFailed!)", code: APIErrorCode.storage)))
                return
            }
            do {
                let at = try raft.propose(command.encode())
                waiting[at.index] = (at.term, proposal)
                metrics.proposals.increment()
            } catch {
                metrics.proposalsFailed.increment()
                proposal.finish(.failure(apiError(error)))
            }
        case let .confChange(change, proposal):
            do {
                let at = try raft.proposeConfChange(change)
                waiting[at.index] = (at.term, proposal)
            } catch {
                proposal.finish(.failure(apiError(error)))
            }
        case .peerHints(let hints):
            peerHints.merge(hints) { _, new in new }
            updatePeers()
        case let .bootstrap(membership, reply):
            do {
                try raft.bootstrap(membership)
                updatePeers()
                events.record("membership", term: raft.term, "bootstrapped: voters \(membership.voters.joined(separator: ","))")
                reply(.success(()))
            } catch {
                reply(.failure(APIError(error.description, code: APIErrorCode.conflict)))
            }
        case let .transfer(to, reply):
            guard raft.role == .leader else {
                reply(.failure(apiError(.notLeader(leader: raft.leader))))
                return
            }
            guard let target = to ?? mostCaughtUpVoter() else {
                reply(.failure(APIError("there is no other voter to transfer leadership to", code: APIErrorCode.conflict)))
                return
            }
            do {
                try raft.transferLeadership(to: target)
                reply(.success(target))
            } catch {
                reply(.failure(apiError(error)))
            }
        }
    }

    func mostCaughtUpVoter() -> NodeID? {
        raft.status.peers.filter(\.isVoter).max { ($0.match, $1.id) < ($1.match, $0.id) }?.id
    }

    /// Turns a refusal from the core into the API's error, with the leader's admin address.
    func apiError(_ error: RaftError) -> APIError {
        switch error {
        case .notLeader(let leader):
            if let leader, let addr = raft.membership.addresses[leader]?.admin {
                return APIError("this node is not the leader; the leader is \(leader) at \(addr)", code: APIErrorCode.notLeader, leader: addr)
            }
            return APIError("there is no leader right now; retry shortly", code: APIErrorCode.noLeader)
        case .transferInProgress:
            // Refused before anything was appended, and over in an election timeout: retry.
            return APIError("\(error.description); retry shortly", code: APIErrorCode.noLeader)
        case .configChangePending:
            return APIError(error.description, code: APIErrorCode.conflict)
        case .unknownNode:
            return APIError(error.description, code: APIErrorCode.notFound)
        default:
            return APIError(error.description, code: APIErrorCode.badRequest)
        }
    }

    /// Drains the core's output: persist, then send, then apply.
    func process() {
        while let ready = raft.nextReady() {
            if ready.needsSync {
                do {
                    let started = ContinuousClock.now
                    try storage.save(hardState: ready.hardState, entries: ready.entries, snapshot: ready.snapshot)
                    metrics.fsync.record(ContinuousClock.now - started)
                    if storageFailed != nil {
                        storageFailed = nil
                        events.record("storage", term: raft.term, "storage recovered")
                    }
                } catch {
                    // Nothing of this batch may leave the node: votes and acknowledgements depend on it.
                    // The node is wedged until storage recovers; restart it from disk when it does.
                    let message = error.description
                    if storageFailed == nil {
                        logger.critical("storage write failed; refusing to send or apply: \(message)")
                        events.record("storage", term: raft.term, "storage write failed: \(message)")
                    }
                    storageFailed = message
                    fatalStorageError(message)
                    return
                }
            }
            transport.send(ready.messages)
            if let snap = ready.snapshot { restoreSnapshot(snap) }
            for e in ready.committed { apply(e) }
            for event in ready.events { record(event) }
            if !ready.committed.isEmpty { onQueue?(queue) }
            resumeOwnTasksAfterReplay()
            maybeCompact()
        }
        publish()
    }

    /// A failed fsync leaves the in-memory core ahead of the disk; continuing would risk
    /// acknowledging what is not stored. The node stops, and restarts from what is on disk.
    func fatalStorageError(_ message: String) {
        for (_, w) in waiting { w.proposal.finish(.failure(APIError("storage write failed: \(message)", code: APIErrorCode.storage))) }
        waiting = [:]
        publish()
        onFatal?(message)
    }

    var onFatal: (@Sendable (String) -> Void)?
    var onQueue: (@Sendable (TaskQueueState) -> Void)?

    func setHooks(onAssigned: @escaping @Sendable ([TaskRecord]) -> Void,
                  onQueue: @escaping @Sendable (TaskQueueState) -> Void,
                  onFatal: @escaping @Sendable (String) -> Void) {
        self.onAssigned = onAssigned
        self.onQueue = onQueue
        self.onFatal = onFatal
    }

    func restoreSnapshot(_ snap: Snapshot) {
        do {
            queue = try TaskQueueState(snapshot: snap.data)
            HeapRelease.soon()
            // Assignments that arrived inside the snapshot were never applied here one by one:
            // start them now (after a restart, the replay's resume does it instead).
            if resumedOwnTasks {
                let mine = queue.tasks.filter { $0.node == config.id && ($0.state == .assigned || $0.state == .running) }
                if !mine.isEmpty {
                    logger.info("starting \(mine.count) task(s) assigned to this node in the installed snapshot")
                    onAssigned?(mine)
                }
            }
        } catch {
            logger.critical("snapshot at \(snap.metadata.index) from the leader does not decode: \(error)")
            events.record("invariant", term: raft.term, "snapshot at \(snap.metadata.index) does not decode: \(error)")
        }
        updatePeers()
    }

    func maybeCompact() {
        let applied = raft.appliedIndex
        guard applied >= raft.snapshotIndex + UInt64(config.snapshotEvery) else { return }
        do {
            try raft.compact(index: applied, snapshotData: queue.snapshot())
            if let snap = raft.latestSnapshot { try storage.saveSnapshot(snap) }
            events.record("snapshot", term: raft.term, "snapshot at \(applied); log compacted")
            HeapRelease.soon()
        } catch {
            logger.error("snapshot at \(applied) failed: \(error)")
        }
    }

    func updatePeers() {
        var peers: [String: String] = [:]
        // Until this node sees itself in the membership it has replicated, it also uses hints.
        if !raft.membership.contains(config.id) { peers = peerHints }
        for (id, a) in raft.membership.addresses where id != config.id { peers[id] = a.raft }
        peers[config.id] = nil
        transport.setPeers(peers)
    }

    func record(_ event: RaftEvent) {
        switch event {
        case let .roleChanged(from, to, term):
            logger.info("role \(from.rawValue) -> \(to.rawValue) in term \(term)")
            events.record("role", term: term, "\(config.id) became \(to.rawValue) (was \(from.rawValue))")
        case let .leaderChanged(leader, term):
            events.record("leader", term: term, leader.map { "leader is \($0)" } ?? "no leader")
        case let .membershipChanged(m, change):
            updatePeers()
            events.record("membership", term: raft.term, "\(change): voters \(m.voters.joined(separator: ",")) learners \(m.learners.joined(separator: ","))")
        case let .snapshotInstalled(index, _):
            logger.info("installed snapshot at \(index) from the leader")
            events.record("snapshot", term: raft.term, "installed snapshot at \(index)")
        case let .transferStarted(to):
            events.record("leader", term: raft.term, "transferring leadership to \(to)")
        case let .transferAborted(to, reason):
            events.record("leader", term: raft.term, "transfer to \(to) abandoned: \(reason)")
        case .checkQuorumFailed(let term):
            events.record("role", term: term, "stepped down: a quorum has not been heard from in an election timeout")
        case .invariantViolation(let what):
            metrics.invariantViolations.increment()
            logger.critical("INVARIANT VIOLATED: \(what)")
            events.record("invariant", term: raft.term, what)
        }
    }
}
