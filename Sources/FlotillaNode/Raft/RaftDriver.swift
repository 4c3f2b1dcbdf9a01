#if canImport(Glibc)
import Glibc
#endif
import FlotillaAPI
import Logging
import NodeCore
import NIOCore
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
    /// The threads the loop and its ticker run on, the driver's alone.
    nonisolated let threads: DriverThreads

    /// The driver runs on its own thread, never on the global pool the admin API's handlers share.
    nonisolated var unownedExecutor: UnownedSerialExecutor { threads.driver.executor.asUnownedSerialExecutor() }

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
    /// The longest a snapshot (taken or installed) held the loop so far.
    var snapshotHeldMax: LoopHold?
    /// When the status was last published.
    var publishedAt = ContinuousClock.now
    /// The incarnation this node's storage drew (`NodeIdentity`): who it is, to its peers.
    let incarnation: UInt64
    /// Set while a founder that started on empty storage asks the other founders whether the
    /// cluster exists already; until they answer it takes no part in Raft (peer messages are
    /// dropped), so a node whose data was wiped never votes or acknowledges as the member it was.
    var founding: FounderCheck?
    /// While founding: why the founders cannot found together (they were started with different
    /// `--peers`), as the status, the log and the events say it; nil while they agree.
    var foundingConflict: String?
    /// Set when a freeze (`POST /v1/faults/freeze`) ends: the ticks queued meanwhile count as one.
    var thawed = false
    /// How long the latest snapshot took to encode, off the loop, and to compact and store, on it.
    var snapshotEncodeTime: Duration = .zero
    var snapshotStore = LoopHold()
    /// The membership's incarnations, as the transport's admission check reads them.
    let known: KnownIncarnations
    /// What founders said of themselves over the peer transport; and what this node says.
    let evidence: FounderEvidence

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

    init(config: NodeConfig, storage: NodeStorage, restored: PersistentState, incarnation: UInt64,
         known: KnownIncarnations? = nil, evidence: FounderEvidence = FounderEvidence(), transport: PeerTransport,
         localFaults: LocalFaults, events: EventLog, metrics: NodeMetrics, inbox: Inbox<DriverInput>,
         threads: DriverThreads, logger: Logger) throws(NodeRefusal) {
        self.config = config
        self.threads = threads
        self.metrics = metrics
        self.inbox = inbox
        self.logger = logger
        self.storage = storage
        self.transport = transport
        self.localFaults = localFaults
        self.events = events
        self.incarnation = incarnation
        self.known = known ?? KnownIncarnations(me: config.id, incarnation: incarnation)
        self.evidence = evidence
        self.core = try NodeCore(config: RaftDriver.coreConfig(config), store: storage, restoring: restored)
        if restored.isEmpty, !config.bootstrapPeers.isEmpty {
            let check = FounderCheck(me: config.id, address: RaftDriver.ownAddress(config, incarnation: incarnation),
                                     founders: RaftDriver.founders(config))
            if case .found(let alone) = check.decide([:]) {
                try core.bootstrap(alone)  // the only founder: nobody to ask
            } else {
                founding = check
            }
            // The founders' addresses, so this node can answer a leader before it holds the membership.
            for p in config.bootstrapPeers where p.id != config.id { peerHints[p.id] = p.raftAddress }
        }
        _ = self.known.update(from: core.raft.membership)
        evidence.publish(RaftDriver.ownReport(core: core, config: config, incarnation: incarnation))
        self.board = StatusBoard(RaftDriver.makeStatus(core: core, config: config, incarnation: incarnation, founding: nil,
                                                       faults: FaultSpec(), uptimeMs: 0))
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
        cc.maxUnfinishedTasks = config.maxUnfinishedTasks
        cc.plantedBug = config.plantedBug
        return cc
    }

    /// The founders named in `--peers`, at their configured addresses (slots and incarnations
    /// come from what each founder reports).
    static func founders(_ config: NodeConfig) -> [NodeID: MemberAddress] {
        var out: [NodeID: MemberAddress] = [:]
        for p in config.bootstrapPeers { out[p.id] = MemberAddress(raft: p.raftAddress, admin: p.adminAddress, slots: 0) }
        return out
    }

    /// This node's own entry in a membership.
    static func ownAddress(_ config: NodeConfig, incarnation: UInt64) -> MemberAddress {
        MemberAddress(raft: config.raftAddress, admin: config.adminAddress, slots: config.slots, incarnation: incarnation)
    }

    func setHooks(_ hooks: Hooks) { self.hooks = hooks }

    // MARK: - The loop

    /// Runs until `stop()`: ticks on a timer, batches inputs, lets the core process each batch.
    /// A skewed clock (`LocalFaults.clockRate`) ticks that much faster or slower.
    func run() async {
        let ticker = RaftTicker(loop: threads.ticker, interval: { [localFaults, tickMs = config.tickMs] in
            .nanoseconds(Int64((Double(tickMs) * 1e6 / localFaults.clockRate).rounded()))
        }, tick: { [inbox] in inbox.push(.tick) })
        ticker.start()
        defer { ticker.stop() }
        updatePeers()
        process()
        while true {
            var batch = await inbox.take()
            if batch.isEmpty { break }
            if thawed {
                // The ticker kept ticking while the loop was frozen; a stopped process's timer fires once on waking.
                thawed = false
                var ticked = false
                batch.removeAll { input in
                    guard case .tick = input else { return false }
                    defer { ticked = true }
                    return ticked
                }
            }
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
            guard founding == nil else { return }
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
        case .founders(let decision):
            decideFounding(decision)
        case .freeze(let until):
            // Blocks the driver's own thread, on purpose: nothing of this node's Raft runs until the thaw.
            while case let left = until - .now, left > .zero {
                let c = min(left, .milliseconds(100)).components
                usleep(UInt32(c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000))
            }
            thawed = true
        case let .snapshotEncoded(index, data, prepared, took):
            snapshotEncodeTime = took
            let began = LoopHold.mark()
            core.snapshotEncoded(index: index, data: data, prepared: prepared)
            if let prepared { storage.discard(prepared) }
            snapshotStore = LoopHold.since(began)
        case let .snapshotDecoded(decoded, took):
            // Installing it holds the loop for Raft's restore, the WAL's marker (the file is in
            // place), the queue swapped in and the batch that acknowledges it: timed together.
            let began = LoopHold.mark()
            guard core.snapshotDecoded(decoded) else {
                if let prepared = decoded.prepared { storage.discard(prepared) }
                logger.info("snapshot at \(decoded.metadata.index) from the leader dropped: the log moved past it, or a newer one came")
                return
            }
            process()
            let held = LoopHold.since(began)
            guard core.raft.snapshotIndex == decoded.metadata.index else { return }
            let mb = (Double(decoded.snapshot.data.count) / 1_048_576 * 10).rounded() / 10
            let text = "installed snapshot at \(decoded.metadata.index) from the leader (\(mb) MB, \(core.queue.taskCount) tasks); "
                + "decoded and written in \(ageMs(took)) ms off the loop, which was held \(hundredthsMs(held.wall)) ms to install it (\(held.detail))"
            if held.wall > .milliseconds(50) { logger.warning("\(text)") } else { logger.info("\(text)") }
            events.record("snapshot", term: core.raft.term, text)
            noteHold(held)
        case let .transfer(to, reply):
            do {
                reply(.success(try core.transferLeadership(to: to)))
            } catch {
                reply(.failure(apiError(error)))
            }
        }
    }

    /// Keeps the longest snapshot hold, for the status (`snapshotHeldMax*`) and `bench soak`.
    func noteHold(_ held: LoopHold) {
        if held.wall >= snapshotHeldMax?.wall ?? .zero { snapshotHeldMax = held }
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
        case .full:
            return APIError(refusal.description, code: APIErrorCode.queueFull)
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
        // A leader's appends leave before its own fsync, so the followers write while it does.
        var out = core.process(sendAhead: { [transport] in transport.send($0) })
        // What a snapshot from the leader replaced, and a received snapshot's chunks, leave the
        // loop whole, so that freeing them (ms for a large table) happens on another thread.
        if out.replacedQueue != nil || out.replacedSnapshot != nil {
            Handover.detach((out.replacedQueue.take(), out.replacedSnapshot.take()), priority: .background)
        }
        let stats = storage.stats
        if stats.fsyncCount != fsyncsSeen {
            fsyncsSeen = stats.fsyncCount
            metrics.fsync.record(.seconds(stats.lastFsyncSeconds))
        }
        var actions = NodeOutput.Actions()
        actions.onSend = { [transport] in transport.send($0) }
        actions.onApplied = { for effect in $0.effects { self.note(effect) } }
        actions.onSettled = { token, result in self.proposals.removeValue(forKey: token)?.finish(result.mapError(self.apiError)) }
        actions.onReadsReady = { for token in $0 { self.reads.removeValue(forKey: token)?(.success(())) } }
        actions.onStopTasks = { [hooks] in hooks.stop($0) }
        actions.onStartTasks = { [hooks] in hooks.start($0) }
        actions.onForward = { command, leader in
            if let admin = self.core.raft.membership.addresses[leader]?.admin { self.hooks.forward(command, admin) }
        }
        actions.onEvent = { self.record($0) }
        actions.onRestoredSnapshot = { HeapRelease.soon() }
        actions.onEncodeSnapshot = { [inbox, storage, threads] job in
            // One pass over the whole task table, and the file's write and fsync: on the
            // low-priority thread, from the frozen copy. Storing it on the loop is then the WAL's marker.
            // A file that cannot be written there is written on the loop instead, where a failure is reported.
            threads.inBackground {
                let began = ContinuousClock.now
                let (data, prepared) = job.encodeAndPrepare(on: storage)
                inbox.push(.snapshotEncoded(index: job.index, data: data, prepared: prepared, took: ContinuousClock.now - began))
            }
        }
        out.carryOut(on: &actions)
        if let install = out.install.take() {
            // Last, as `carryOut` hands it: joining the chunks, decoding the whole task table, and
            // the file's write and fsync, on the low-priority thread (after an encoding it runs
            // already), which then holds the job alone. Installing it on the loop is then a swap
            // and the WAL's marker.
            threads.inBackground { [inbox, storage] in
                let began = ContinuousClock.now
                let decoded = install.decodeAndPrepare(on: storage)
                inbox.push(.snapshotDecoded(decoded, took: ContinuousClock.now - began))
            }
        }
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

    /// What this node tells a founder check about itself: empty, with the founders it was
    /// started with, or its membership.
    static func ownReport(core: NodeCore, config: NodeConfig, incarnation: UInt64) -> FounderCheck.Report {
        let m = core.raft.membership
        guard m.isEmpty && core.raft.lastIndex == 0 else { return .founded(m) }
        return .empty(ownAddress(config, incarnation: incarnation), founders: founderSet(config))
    }

    /// The founder set of `--peers`; nil for a node started without it.
    static func founderSet(_ config: NodeConfig) -> FounderSet? {
        config.bootstrapPeers.isEmpty ? nil : FounderSet(founders(config))
    }

    func updatePeers() {
        evidence.publish(RaftDriver.ownReport(core: core, config: config, incarnation: incarnation))
        for peer in known.update(from: core.raft.membership) {
            logger.notice("\(peer) is a new incarnation; dropping its connections so the next handshake checks it")
            transport.disconnect(peer: peer)
        }
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
            // Encoding (one pass over the task table) ran off the loop; compacting the log and
            // writing the snapshot file held it.
            let held = snapshotStore
            let mb = (Double(core.raft.latestSnapshot?.data.count ?? 0) / 1_048_576 * 10).rounded() / 10
            let text = "snapshot at \(index) (\(mb) MB, \(core.queue.taskCount) tasks); log compacted; "
                + "encoded and written in \(ageMs(snapshotEncodeTime)) ms off the loop, which was held \(hundredthsMs(held.wall)) ms to store it (\(held.detail))"
            if held.wall > .milliseconds(50) { logger.warning("\(text)") } else { logger.info("\(text)") }
            noteHold(held)
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
        case .snapshotInstalled:
            // Logged with its timing once the batch that installs it is done (`.snapshotDecoded`).
            updatePeers()
        case let .transferStarted(to):
            events.record("leader", term: term, "transferring leadership to \(to)")
        case let .transferAborted(to, reason):
            events.record("leader", term: term, "transfer to \(to) abandoned: \(reason)")
        case let .followerRegressed(peer, from, to):
            let text = "\(peer)'s log ends at \(to), below the \(from) it acknowledged: its disk lost synced entries; resending from \(to + 1)"
            logger.error("\(text)")
            events.record("invariant", term: term, text)
        case .checkQuorumFailed(let term):
            events.record("role", term: term, "stepped down: a quorum has not been heard from in an election timeout")
        case .invariantViolation(let what):
            record(.invariant(what))
        }
    }
}
