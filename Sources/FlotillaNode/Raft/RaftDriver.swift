#if canImport(Glibc)
import Glibc
#endif
import FlotillaAPI
import Logging
import NodeCore
import NodeStorage
import PeerTransport
import Prometheus
import RaftCore
import TaskQueue

/// Runs one node's `NodeCore` on real time, disk and network: it drains its inbox in
/// batches, lets the core persist (one fsync per batch), send and apply, then acts on what
/// the core handed out (messages, answers to proposals, tasks to run, reports to forward)
/// and publishes the node's status. Everything else talks to it through the inbox or reads
/// the status it publishes.
actor RaftDriver {
    let config: NodeConfig
    let logger: Logger
    let storage: NodeStorage
    let transport: PeerTransport
    /// The node's own disk and clock faults.
    let localFaults: LocalFaults
    let events: EventLog
    let metrics: NodeMetrics
    let inbox: Inbox<DriverInput>
    nonisolated let board: StatusBoard

    var core: NodeCore
    /// Proposals waiting for their entries, by the token the core hands back.
    var proposals: [UInt64: Proposal] = [:]
    var nextToken: UInt64 = 0
    /// Linearizable reads waiting for the core to clear them, by token.
    var reads: [UInt64: @Sendable (Result<Void, APIError>) -> Void] = [:]
    var peerHints: [NodeID: String] = [:]
    var hooks = Hooks()
    var fsyncsSeen = 0
    /// When this node last heard from a leader other than itself, and since when it leads (its
    /// own monotonic clock): what makes an election's reported time real.
    var heardFromLeaderAt: ContinuousClock.Instant?
    var ledSince: ContinuousClock.Instant?
    /// The longest a snapshot held the loop so far, in ms.
    var snapshotHeldMaxMs: UInt64?
    /// When the status was last published.
    var publishedAt = ContinuousClock.now
    /// When the batch being carried out began: a snapshot reports how long its batch held the loop.
    var batchBegan = ContinuousClock.now

    /// What the driver calls outside itself; set once by the service before `run`.
    struct Hooks: Sendable {
        /// Tasks for this node's workers to run, and to stop.
        var start: @Sendable ([TaskRecord]) -> Void = { _ in }
        var stop: @Sendable ([TaskID]) -> Void = { _ in }
        /// A worker's report for the leader, at its admin address.
        var forward: @Sendable (Command, _ leaderAdmin: String) -> Void = { _, _ in }
        /// Storage failed for good, or the node broke an invariant: the process must end with this reason.
        var fatal: @Sendable (String) -> Void = { _ in }
    }

    init(config: NodeConfig, storage: NodeStorage, restored: PersistentState, transport: PeerTransport,
         localFaults: LocalFaults, events: EventLog, metrics: NodeMetrics, inbox: Inbox<DriverInput>,
         logger: Logger) throws(NodeRefusal) {
        self.config = config
        self.metrics = metrics
        self.inbox = inbox
        self.logger = logger
        self.storage = storage
        self.transport = transport
        self.localFaults = localFaults
        self.events = events
        self.core = try NodeCore(config: RaftDriver.coreConfig(config), store: storage, restoring: restored,
                                 bootstrap: RaftDriver.founders(config))
        self.board = StatusBoard(RaftDriver.makeStatus(core: core, config: config, faults: FaultSpec(), uptimeMs: 0))
    }

    static func coreConfig(_ config: NodeConfig) -> NodeCoreConfig {
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
        var cc = NodeCoreConfig(raft: rc)
        cc.snapshotEvery = config.snapshotEvery
        cc.retention = config.retention
        cc.plantedBug = config.plantedBug
        return cc
    }

    /// The founding membership from `--peers`, if any.
    static func founders(_ config: NodeConfig) -> Membership? {
        guard !config.bootstrapPeers.isEmpty else { return nil }
        return Membership(config.bootstrapPeers.map {
            Member(id: $0.id, isVoter: true, address: MemberAddress(raft: $0.raftAddress, admin: $0.adminAddress, slots: config.slots).encoded)
        })
    }

    func setHooks(_ hooks: Hooks) { self.hooks = hooks }

    // MARK: - The loop

    /// Runs until `stop()`: ticks on a timer, batches inputs, lets the core process each batch.
    /// A skewed clock (`LocalFaults.clockRate`) ticks that much faster or slower.
    func run() async {
        let ticker = Task { [inbox, localFaults, tickMs = config.tickMs] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(tickMs) / localFaults.clockRate)
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
        let refusal = APIError("the node is shutting down", code: APIErrorCode.unavailable)
        for token in core.abandonWaiting() { proposals.removeValue(forKey: token)?.finish(.failure(refusal)) }
        for (_, p) in proposals { p.finish(.failure(refusal)) }
        proposals = [:]
        for (_, r) in reads { r(.failure(refusal)) }
        reads = [:]
    }

    nonisolated func stop() { inbox.close() }

    func handle(_ input: DriverInput) {
        switch input {
        case .tick:
            core.tick(nowMs: wallClockMs())
        case .message(let m):
            core.receive(m)
            if m.isFromLeader, m.from != config.id, m.term == core.raft.term { heardFromLeaderAt = .now }
        case .peerDown(let id):
            core.peerDisconnected(id)
        case let .propose(command, proposal):
            let token = register(proposal)
            do {
                try core.propose(command, token: token)
                metrics.proposals.increment()
            } catch {
                metrics.proposalsFailed.increment()
                proposals[token] = nil
                proposal.finish(.failure(apiError(error)))
            }
        case let .confChange(change, proposal):
            let token = register(proposal)
            do {
                try core.proposeConfChange(change, token: token)
            } catch {
                proposals[token] = nil
                proposal.finish(.failure(apiError(error)))
            }
        case .read(let reply):
            nextToken += 1
            reads[nextToken] = reply
            do {
                try core.read(token: nextToken)
            } catch {
                reads[nextToken] = nil
                reply(.failure(apiError(error)))
            }
        case .report(let command):
            core.report(command)
        case .peerHints(let hints):
            peerHints.merge(hints) { _, new in new }
            updatePeers()
        case let .bootstrap(membership, reply):
            do {
                try core.bootstrap(membership)
                updatePeers()
                events.record("membership", term: core.raft.term, "bootstrapped: voters \(membership.voters.joined(separator: ","))")
                reply(.success(()))
            } catch {
                reply(.failure(APIError(error.description, code: APIErrorCode.conflict)))
            }
        case let .transfer(to, reply):
            do {
                reply(.success(try core.transferLeadership(to: to)))
            } catch {
                reply(.failure(apiError(error)))
            }
        }
    }

    func register(_ proposal: Proposal) -> UInt64 {
        nextToken += 1
        proposals[nextToken] = proposal
        return nextToken
    }

    /// Turns a refusal from the core into the API's error, with the leader's admin address.
    func apiError(_ refusal: NodeRefusal) -> APIError {
        switch refusal {
        case .notLeader(let leader):
            if let leader, let addr = core.raft.membership.addresses[leader]?.admin {
                return APIError("this node is not the leader; the leader is \(leader) at \(addr)", code: APIErrorCode.notLeader, leader: addr)
            }
            return APIError("there is no leader right now; retry shortly", code: APIErrorCode.noLeader)
        case .storage:
            return APIError(refusal.description, code: APIErrorCode.storage)
        case .lost:
            return APIError(refusal.description, code: APIErrorCode.unavailable)
        case .raft(.transferInProgress):
            // Refused before anything was appended, and over in an election timeout: retry.
            return APIError("\(refusal.description); retry shortly", code: APIErrorCode.noLeader)
        case .raft(.configChangePending), .invalid:
            return APIError(refusal.description, code: APIErrorCode.conflict)
        case .raft(.unknownNode):
            return APIError(refusal.description, code: APIErrorCode.notFound)
        case .raft:
            return APIError(refusal.description, code: APIErrorCode.badRequest)
        }
    }

    /// Lets the core persist, send and apply, then carries out what it handed back.
    func process() {
        batchBegan = ContinuousClock.now
        // A leader's appends leave before its own fsync, so the followers write while it does.
        let out = core.process(sendAhead: { [transport] in transport.send($0) })
        let stats = storage.stats
        if stats.fsyncCount != fsyncsSeen {
            fsyncsSeen = stats.fsyncCount
            metrics.fsync.record(.seconds(stats.lastFsyncSeconds))
        }
        if !out.messages.isEmpty { transport.send(out.messages) }
        for a in out.applied {
            for effect in a.effects { note(effect) }
        }
        for (token, result) in out.settled {
            proposals.removeValue(forKey: token)?.finish(result.mapError(apiError))
        }
        for token in out.reads { reads.removeValue(forKey: token)?(.success(())) }
        if !out.stop.isEmpty { hooks.stop(out.stop) }
        if !out.start.isEmpty { hooks.start(out.start) }
        let addresses = out.forward.isEmpty ? [:] : core.raft.membership.addresses
        for (command, leader) in out.forward {
            if let admin = addresses[leader]?.admin { hooks.forward(command, admin) }
        }
        for event in out.events { record(event) }
        if out.restoredSnapshot { HeapRelease.soon() }
        // Under load a batch ends every few hundred microseconds; building the whole status
        // for each was a visible share of the leader's time. A change of role, leader or
        // membership (an event) or a fatal storage error publishes at once; otherwise at most
        // once a tick.
        let now = ContinuousClock.now
        if !out.events.isEmpty || out.fatal != nil || now - publishedAt >= .milliseconds(config.tickMs) {
            publishedAt = now
            publish()
        }
        if let fatal = out.fatal {
            logger.critical("storage failed for good: \(fatal)")
            events.record("storage", term: core.raft.term, "storage failed for good: \(fatal)")
            hooks.fatal("storage failed: \(fatal)")
        }
    }

    func updatePeers() {
        var peers: [String: String] = [:]
        // Until this node sees itself in the membership it has replicated, it also uses hints.
        if !core.raft.membership.contains(config.id) { peers = peerHints }
        for (id, a) in core.raft.membership.addresses where id != config.id { peers[id] = a.raft }
        peers[config.id] = nil
        transport.setPeers(peers)
    }

    func record(_ event: CoreEvent) {
        let term = core.raft.term
        switch event {
        case .raft(let e):
            record(e)
        case .storageStalled(let why):
            logger.critical("storage refuses writes; holding the batch, refusing writes, retrying: \(why)")
            events.record("storage", term: term, "storage write failed, retrying: \(why)")
        case .storageRecovered(let why):
            logger.notice("storage takes writes again (was: \(why))")
            events.record("storage", term: term, "storage recovered")
        case .compacted(let index):
            // A snapshot is one pass over the task table on this loop: nothing else moves meanwhile.
            let held = ContinuousClock.now - batchBegan
            let mb = (Double(core.raft.latestSnapshot?.data.count ?? 0) / 1_048_576 * 10).rounded() / 10
            let text = "snapshot at \(index) (\(mb) MB, \(core.queue.taskCount) tasks); log compacted; the loop was held \(ageMs(held)) ms"
            if held > .milliseconds(50) { logger.warning("\(text)") } else { logger.info("\(text)") }
            snapshotHeldMaxMs = max(snapshotHeldMaxMs ?? 0, ageMs(held))
            events.record("snapshot", term: term, text)
            HeapRelease.soon()
        case let .compactionFailed(index, reason):
            logger.error("snapshot at \(index) failed: \(reason)")
        case let .resumedTasks(count, why):
            logger.info("starting \(count) task(s) that \(why)")
            HeapRelease.soon()
        case .invariant(let what):
            metrics.invariantViolations.increment()
            logger.critical("INVARIANT VIOLATED: \(what)")
            events.record("invariant", term: term, what)
            // A node that broke a safety property must not go on acting on its state.
            hooks.fatal("invariant violated: \(what)")
        }
    }

    func record(_ event: RaftEvent) {
        let term = core.raft.term
        switch event {
        case let .roleChanged(from, to, term):
            if to == .leader { ledSince = .now } else if from == .leader { ledSince = nil }
            logger.info("role \(from.rawValue) -> \(to.rawValue) in term \(term)")
            events.record("role", term: term, "\(config.id) became \(to.rawValue) (was \(from.rawValue))")
        case let .leaderChanged(leader, term):
            events.record("leader", term: term, leader.map { "leader is \($0)" } ?? "no leader")
        case let .membershipChanged(m, change):
            updatePeers()
            events.record("membership", term: term, "\(change): voters \(m.voters.joined(separator: ",")) learners \(m.learners.joined(separator: ","))")
        case let .snapshotInstalled(index, _):
            updatePeers()
            logger.info("installed snapshot at \(index) from the leader")
            events.record("snapshot", term: term, "installed snapshot at \(index)")
        case let .transferStarted(to):
            events.record("leader", term: term, "transferring leadership to \(to)")
        case let .transferAborted(to, reason):
            events.record("leader", term: term, "transfer to \(to) abandoned: \(reason)")
        case .checkQuorumFailed(let term):
            events.record("role", term: term, "stepped down: a quorum has not been heard from in an election timeout")
        case .invariantViolation(let what):
            record(.invariant(what))
        }
    }
}
