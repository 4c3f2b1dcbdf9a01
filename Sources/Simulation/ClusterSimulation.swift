import BinaryCoding
import ClusterRules
import NodeCore
import NodeStorage
import RaftCore
import TaskQueue

/// A deterministic cluster: N nodes of RaftCore + TaskQueue on a seeded virtual network,
/// with a client workload, a nemesis injecting faults, and the invariant checker run
/// after every tick. One seed gives one run, exactly.
public struct ClusterSimulation: Sendable {
    public let config: SimulationConfig
    var rng: SplitMix64
    var network: SimNetwork
    var nodes = NodeTable()
    /// Every id that ever existed, in creation order (iteration order must not depend on hashing).
    var order: [NodeID] { nodes.all.map(\.id) }
    var spares: [NodeID] = []
    var removed: Set<NodeID> = []
    var now: UInt64 = 0
    var checker = InvariantChecker()
    var client: SimClient
    var stats = SimulationResult.Stats()
    var trace = FNV1a()
    var traceLines: [String] = []

    /// The fault in force and the tick it ends at.
    var activeFault: (fault: Fault, until: UInt64)?
    var crashed: Set<NodeID> = []
    /// Nodes crashed by a bounce and the tick each restarts at, in order.
    var bounces: [(NodeID, UInt64)] = []
    /// A proposed removal and its proposal's token; the node is stopped once that entry applies.
    var pendingRemoval: (NodeID, token: UInt64)?
    var nextRemovalToken: UInt64 = 1 << 62
    /// The founders' membership, as entry 1 holds it (what a node with the amnesia bug founds again).
    var initialMembership = Membership()
    /// Founders started on empty storage (`foundFromEmpty`) that have stored nothing yet: a
    /// restart runs their founder check again.
    var unfounded: Set<NodeID> = []
    /// The founder that wrote entry 1 (`foundFromEmpty`): only one founder may ever write it.
    var entryOneWriter: NodeID?
    /// Wiped nodes whose founder check has not decided yet: they answer the others' checks as empty.
    var awaitingFounders: Set<NodeID> = []
    /// Nodes refused for amnesia that the simulator replaces, as an operator runs `flotilla replace`:
    /// removed first, then added back empty as learners.
    var toReplace: [NodeID] = []
    var toReadd: [NodeID] = []
    /// Wiped nodes not yet back as members (started, or replaced): one wipe at a time.
    var wipedPending: Set<NodeID> = []
    var removalProposedAt: UInt64 = 0
    /// The slot whose output `process` is carrying out (see `ClusterSimulation+Output`).
    var carrying = 0

    public init(config: SimulationConfig) {
        self.config = config
        var rng = SplitMix64(seed: config.seed)
        network = SimNetwork(rng: rng.fork(), dropRate: config.dropRate, duplicateRate: config.duplicateRate,
                             maxDelay: config.maxDelay)
        client = SimClient(rng: rng.fork(), submitsPer100Ticks: config.submitsPer100Ticks,
                           readsPer100Ticks: config.readsPer100Ticks)
        let founders = (1...config.nodes).map { "n\($0)" }
        spares = (0..<config.spareNodes).map { "n\(config.nodes + 1 + $0)" }
        let identities = founders.map { _ in rng.next() | 1 }
        self.rng = rng
        let membership = Membership(zip(founders, identities).map { id, identity in
            Member(id: id, isVoter: true, address: address(id, identity: identity))
        })
        initialMembership = membership
        if config.foundFromEmpty {
            for (id, identity) in zip(founders, identities) { addNode(id, bootstrap: nil, identity: identity) }
            unfounded = Set(founders)
            for id in founders { startFounding(id) }
        } else {
            for (id, identity) in zip(founders, identities) { addNode(id, bootstrap: membership, identity: identity) }
        }
    }

    mutating func coreConfig(_ id: NodeID) -> NodeCoreConfig {
        var c = RaftConfig(id: id)
        c.randomSeed = rng.next()
        c.trapOnInvariantViolation = false
        if !config.productionFlowControl {
            // Small windows and chunks, so that flow control and chunked snapshots are exercised
            // by tables of a few hundred tasks; the other seeds run the node's own defaults.
            c.snapshotChunkSize = 4096
            c.maxEntriesPerAppend = 32
            c.maxInflight = 8
        }
        var cc = NodeCoreConfig(raft: c)
        cc.snapshotEvery = config.compactEvery
        // Retention at work within a run: finished tasks go after 3 s of simulated time or beyond
        // 25; keys are remembered far longer than any run, so every acknowledged submit stays checkable.
        cc.retention = Retention(finishedMs: 3_000, keepFinished: 25, keyWindowMs: 1 << 40, batch: 10)
        if config.injectedBug == .applyUncommitted { cc.plantedBug = .applyUncommitted }
        if config.injectedBug == .staleReads { cc.plantedBug = .staleReads }
        return cc
    }

    /// What every member stores as its address: where to reach it, how many tasks it runs, and
    /// which incarnation of it is the member.
    func address(_ id: NodeID, identity: UInt64) -> String {
        MemberAddress(raft: "sim://\(id)", admin: "sim://\(id)", slots: config.slots, incarnation: identity).encoded
    }

    mutating func addNode(_ id: NodeID, bootstrap: Membership?, identity: UInt64) {
        nodes.insert(makeNode(id, bootstrap: bootstrap, identity: identity))
    }

    mutating func makeNode(_ id: NodeID, bootstrap: Membership?, identity: UInt64) -> SimNode {
        let config = coreConfig(id)
        var node = SimNode(id: id, config: config, bootstrap: bootstrap, diskSeed: rng.next(), identity: identity,
                           lazyFsync: self.config.injectedBug == .lazyFsync)
        node.slots = self.config.slots
        node.refreshIncarnations()
        return node
    }

    /// Whether the runtime's protection against amnesia is planted off.
    var amnesiaPlanted: Bool { config.injectedBug == .amnesia }

    /// Slots of the nodes that are up, in creation order.
    var upSlots: [Int] { nodes.all.indices.filter { nodes.all[$0].up } }

    var upNodes: [NodeID] { upSlots.map { nodes.all[$0].id } }

    /// The leader with the highest term among nodes that are up.
    var currentLeader: NodeID? {
        upNodes.filter { nodes[$0].core.isLeader }.max { nodes[$0].core.raft.term < nodes[$1].core.raft.term }
    }

    /// Where messages to `id` go on the network.
    func endpoint(_ id: NodeID) -> Endpoint { nodes.slot(of: id) ?? SimNetwork.nowhere }

    mutating func note(_ line: @autoclosure () -> String) {
        if config.keepTrace { traceLines.append("\(now) \(line())") }
    }

    // MARK: - Running

    /// Runs the faulty phase, then the liveness phase, and reports.
    public mutating func run() -> SimulationResult {
        while now < UInt64(config.steps) {
            if config.faults { nemesis() }
            step()
        }
        let livenessFailure = livenessPhase()
        finalChecks()
        stats.submitsAcknowledged = client.acknowledged.count
        stats.readsChecked = client.readsChecked
        if let l = currentLeader {
            stats.finalCommit = nodes[l].core.raft.commitIndex
            // Accepted completions: retention removes finished tasks from the table, not from this count.
            stats.tasksSucceeded = nodes[l].core.queue.acceptedCompletions
        }
        return SimulationResult(config: config, steps: Int(now), violations: checker.violations,
                                livenessFailure: livenessFailure, traceHash: trace.value, trace: traceLines,
                                stats: stats)
    }

    // The per-tick paths below address nodes by slot (`nodes.all[i]`), never by id.

    /// One tick of simulated time.
    mutating func step() {
        now += 1
        checker.tick = now
        // Batches deferred last tick reach the disk now; a crash just before lost them.
        for i in upSlots where nodes.all[i].deferred { process(i) }
        for packet in network.due(now: now) { deliver(packet) }
        if !unfounded.isEmpty { foundingTick() }
        for i in upSlots {
            // A snapshot encoded off the loop comes back a few ticks later, as on a busy host.
            if let (job, at) = nodes.all[i].encoding, at <= now {
                nodes.all[i].encoding = nil
                let (data, prepared) = job.encodeAndPrepare(on: nodes.all[i].storage)
                nodes.all[i].core.snapshotEncoded(index: job.index, data: data, prepared: prepared)
                if let prepared { nodes.all[i].storage.discard(prepared) }
            }
            // A snapshot from the leader is decoded and its file written off the loop, as the node
            // runtime does, and comes back when the scheduler says; meanwhile the node goes on.
            while let k = nodes.all[i].installing.firstIndex(where: { $0.readyAt <= now }) {
                let job = nodes.all[i].installing.remove(at: k).job
                let decoded = job.decodeAndPrepare(on: nodes.all[i].storage)
                if !nodes.all[i].core.snapshotDecoded(decoded) {
                    stats.snapshotInstallsDropped += 1
                    if let prepared = decoded.prepared { nodes.all[i].storage.discard(prepared) }
                }
            }
            tickClock(i)
            workerTick(i)
        }
        clientTick()
        for i in upSlots {
            if nodes.all[i].slowDiskTicks > 0 {
                // A slow disk syncs one batch at a time: what gathered since the last sync is
                // persisted, sent and applied only when the fsync in progress returns.
                guard now >= nodes.all[i].nextSyncAt else { continue }
                nodes.all[i].nextSyncAt = now + UInt64(nodes.all[i].slowDiskTicks)
                process(i)
            } else if rng.chance(0.3) {
                // Most batches sync at once; some wait for the next tick.
                nodes.all[i].deferred = true
            } else {
                process(i)
            }
        }
        observe()
    }

    /// Advances the node's timers: once per tick, or as its skewed clock has it.
    mutating func tickClock(_ i: Int) {
        guard let skew = nodes.all[i].clock else { return nodes.all[i].core.tick(nowMs: now * 10) }
        let n = skew.ticks(at: now)
        // The wall clock stays true (and never goes back); only the timers' rate is off.
        for j in 0..<n {
            nodes.all[i].core.tick(nowMs: (now - 1) * 10 + 10 * UInt64(j + 1) / UInt64(n))
        }
    }

    /// Lets the node's core persist, send and apply, then carries out what it handed back.
    mutating func process(_ i: Int) {
        // Another node's batch in this same tick may have stopped this one (a removal applied).
        guard nodes.all[i].up else { return }
        nodes.all[i].deferred = false
        nodes.all[i].batches += 1
        // A leader's replication messages leave before its batch is stored, as in the node
        // runtime: a crash or a full disk mid-write then leaves followers holding entries
        // their leader lost.
        var ahead: [Message] = []
        let out = nodes.all[i].core.process(sendAhead: { ahead += $0 })
        let id = nodes.all[i].id
        if nodes.all[i].core.storageProblem == nil, out.fatal == nil {
            checker.observeDurable(id, term: nodes.all[i].core.raft.term, commit: nodes.all[i].core.raft.commitIndex)
        }
        let boots = nodes.all[i].boots
        for m in ahead { network.send(from: i, epoch: boots, to: endpoint(m.to), now: now, .raft(m)) }
        carrying = i
        out.carryOut(on: &self)
    }

    /// The node whose output `carryOut` is handing this simulation (`NodeOutputHost`).
    var carryingID: NodeID { nodes.all[carrying].id }
    var carryingBoots: Int { nodes.all[carrying].boots }

    mutating func record(_ id: NodeID, _ event: CoreEvent) {
        switch event {
        case .raft(let e):
            record(id, e)
        case .storageStalled(let why):
            stats.storageStalls += 1
            note("\(id) storage stalled: \(why)")
        case .storageRecovered:
            note("\(id) storage recovered")
        case .invariant(let what):
            checker.observeRuntimeViolation(what)
        default:
            break
        }
    }

    mutating func record(_ id: NodeID, _ event: RaftEvent) {
        switch event {
        case let .roleChanged(_, to, term):
            trace.combine(id)
            trace.combine(UInt8(Role.allCases.firstIndex(of: to)!))
            trace.combine(term)
            if to == .leader { stats.elections += 1 }
            note("\(id) becomes \(to.rawValue) in term \(term)")
        case .invariantViolation(let what):
            checker.observeRuntimeViolation(what)
        case .snapshotInstalled(let index, _):
            note("\(id) installed snapshot at \(index)")
        case let .membershipChanged(m, change):
            note("\(id) membership \(change): voters \(m.voters) learners \(m.learners)")
        default:
            break
        }
    }

    /// A proposal's outcome: a client's submit is answered, a removal stops its node.
    mutating func settle(_ i: Int, _ token: UInt64, _ result: Result<[Effect], NodeRefusal>) {
        if let (target, removal) = pendingRemoval, removal == token {
            pendingRemoval = nil
            if case .success = result {
                if let k = toReplace.firstIndex(of: target) {
                    toReplace.remove(at: k)
                    toReadd.append(target)
                } else {
                    retire(target)
                }
            }
            return
        }
        guard let request = nodes.all[i].pendingClient.remove(token) else { return }
        if case .success(let effects) = result {
            for effect in effects {
                switch effect {
                case .created(let task, _), .duplicate(let task, _):
                    return reply(i, request, .acknowledged(task))
                default:
                    continue
                }
            }
        }
        reply(i, request, .notLeader(hint: nodes.all[i].core.raft.leader))
    }

    mutating func reply(_ i: Int, _ request: UInt64, _ outcome: ClientOutcome) {
        network.send(from: i, epoch: nodes.all[i].boots, to: SimNetwork.client, now: now,
                     .clientReply(request: request, outcome: outcome))
    }

    // MARK: - Delivery

    mutating func deliver(_ p: Packet) {
        if p.to == SimNetwork.client {
            if case let .clientReply(request, outcome) = p.payload,
               let (rule, detail) = client.receive(request: request, outcome: outcome, now: now) {
                checker.fail(rule, detail)
            }
            return
        }
        guard p.to >= 0, nodes.all[p.to].up, !network.isCut(p.from, p.to) else { return }
        if p.from >= 0, !nodes.all[p.from].up || nodes.all[p.from].boots != p.epoch { return }
        switch p.payload {
        case .raft(let m):
            // A founder still deciding takes no part in Raft (the runtime drops peer messages meanwhile).
            if nodes.all[p.to].founding != nil { return }
            // The transport's handshake: each side's membership may refuse the other's incarnation.
            if p.from >= 0, !amnesiaPlanted,
               !nodes.all[p.to].admits(m.from, identity: nodes.all[p.from].identity)
                || !nodes.all[p.from].admits(m.to, identity: nodes.all[p.to].identity) {
                stats.incarnationRefusals += 1
                return
            }
            trace.combine(m.from)
            trace.combine(m.to)
            trace.combine(m.term)
            trace.combine(m.body.tag)
            nodes.all[p.to].core.receive(m)
        case let .forward(command, request):
            propose(at: p.to, command, request: request)
        case let .clientSubmit(key, request):
            let spec = TaskSpec(kind: "sleep", args: ["ms": "50"], maxAttempts: 3, timeoutMs: 2000)
            propose(at: p.to, .submit(key: key, spec: spec, at: now * 10), request: request)
        case let .clientRead(key, request):
            read(at: p.to, key: key, request: request)
        case .clientReply:
            break
        case .founderAsk:
            guard p.from >= 0 else { return }
            network.send(from: p.to, epoch: nodes.all[p.to].boots, to: p.from, now: now, .founderReport(founderReport(of: p.to)))
        case .founderReport(let report):
            receiveFounderReport(at: p.to, from: p.from, report)
        }
    }

    /// A client's read reaching a node: the node's own ReadIndex path (`NodeCore.read`), as the
    /// runtime's `GET /v1/tasks/{id}?linearizable` takes it; a node that cannot start one redirects.
    mutating func read(at i: Int, key: String, request: UInt64) {
        do {
            try nodes.all[i].core.read(token: request)
            nodes.all[i].pendingReads[request] = key
        } catch {
            reply(i, request, .notLeader(hint: nodes.all[i].core.raft.leader))
        }
    }

    /// Answers the reads a node's core released: from its task queue, as it stands now.
    mutating func answerReads(_ i: Int, _ tokens: [UInt64]) {
        for token in tokens {
            guard let key = nodes.all[i].pendingReads.removeValue(forKey: token) else { continue }
            let queue = nodes.all[i].core.queue
            stats.readsServed += 1
            reply(i, token, .read(queue.task(forKey: key)?.id ?? queue.removedTask(forKey: key)))
        }
    }

    /// A node receiving a command: the leader proposes it, others redirect clients and drop the rest.
    mutating func propose(at i: Int, _ command: Command, request: UInt64?) {
        do {
            try nodes.all[i].core.propose(command, token: request)
            if let request { nodes.all[i].pendingClient.insert(request) }
        } catch {
            if let request { reply(i, request, .notLeader(hint: nodes.all[i].core.raft.leader)) }
        }
    }

    // MARK: - Workers

    /// A task handed to this node's workers: it reports the start and runs for a while.
    mutating func startTask(_ i: Int, _ task: TaskID, epoch: UInt64) {
        guard nodes.all[i].running[task]?.epoch != epoch else { return }
        let duration = UInt64(5 + rng.below(40))
        nodes.all[i].running[task] = (epoch, now + duration)
        nodes.all[i].core.report(.start(task: task, node: nodes.all[i].id, epoch: epoch, at: now * 10))
    }

    /// Tasks whose time is up report success (or, one in ten, failure) to the core.
    mutating func workerTick(_ i: Int) {
        guard !nodes.all[i].running.isEmpty else { return }
        let id = nodes.all[i].id
        let finished = nodes.all[i].running.filter { $0.value.finishAt <= now }.keys.sorted()
        for task in finished {
            let epoch = nodes.all[i].running.removeValue(forKey: task)!.epoch
            let command: Command = rng.chance(0.1)
                ? .fail(task: task, node: id, epoch: epoch, message: "simulated failure", at: now * 10)
                : .complete(task: task, node: id, epoch: epoch, result: "ok", at: now * 10)
            nodes.all[i].core.report(command)
        }
    }

    // MARK: - Client

    mutating func clientTick() {
        let (submits, reads) = client.tick(now: now, nodes: upNodes.filter { !removed.contains($0) })
        for send in submits {
            network.send(from: SimNetwork.client, to: endpoint(send.to), now: now,
                         .clientSubmit(key: send.key, request: send.request))
        }
        for send in reads {
            network.send(from: SimNetwork.client, to: endpoint(send.to), now: now,
                         .clientRead(key: send.key, request: send.request))
        }
    }

    // MARK: - Observation

    /// Feeds the checker with every node's state after the tick.
    mutating func observe() {
        for i in upSlots { Self.observe(nodes.all[i].id, nodes.all[i].core.raft, into: &checker) }
        if now % 500 == 0 {
            for i in upSlots {
                checker.checkSubmits(nodes.all[i].id, keysInState: nodes.all[i].core.queue.heldAndRememberedKeys, acknowledged: [])
            }
        }
    }

    /// Takes `raft` borrowed, so that reading it in place spares a copy of the whole node.
    static func observe(_ id: NodeID, _ raft: borrowing RaftNode, into checker: inout InvariantChecker) {
        checker.observeCommit(id, term: raft.term, commit: raft.commitIndex, hash: raft.commitHash)
        if raft.role == .leader { checker.observeLeader(id, term: raft.term, log: copy raft) }
    }

    /// Stops a node once its removal has committed, as an operator's scale-down would.
    mutating func retire(_ id: NodeID) {
        guard !removed.contains(id), nodes.contains(id) else { return }
        removed.insert(id)
        nodes[id].crash()
        crashed.remove(id)
        note("\(id) removed from the cluster and stopped")
    }
}
