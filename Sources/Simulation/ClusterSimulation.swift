import BinaryCoding
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
    /// A proposed removal; the node is stopped once that entry commits.
    var pendingRemoval: (NodeID, EntryID)?

    public init(config: SimulationConfig) {
        self.config = config
        var rng = SplitMix64(seed: config.seed)
        network = SimNetwork(rng: rng.fork(), dropRate: config.dropRate, duplicateRate: config.duplicateRate,
                             maxDelay: config.maxDelay)
        client = SimClient(rng: rng.fork(), submitsPer100Ticks: config.submitsPer100Ticks)
        let founders = (1...config.nodes).map { "n\($0)" }
        spares = (0..<config.spareNodes).map { "n\(config.nodes + 1 + $0)" }
        let membership = Membership(founders.map { Member(id: $0, isVoter: true, address: "sim://\($0)") })
        self.rng = rng
        for id in founders { addNode(id, bootstrap: membership) }
    }

    mutating func raftConfig(_ id: NodeID) -> RaftConfig {
        var c = RaftConfig(id: id)
        c.randomSeed = rng.next()
        c.trapOnInvariantViolation = false
        c.snapshotChunkSize = 4096
        c.maxEntriesPerAppend = 32
        c.maxInflight = 8
        return c
    }

    mutating func addNode(_ id: NodeID, bootstrap: Membership?) {
        nodes.insert(SimNode(id: id, config: raftConfig(id), bootstrap: bootstrap))
    }

    /// Slots of the nodes that are up, in creation order.
    var upSlots: [Int] { nodes.all.indices.filter { nodes.all[$0].up } }

    var upNodes: [NodeID] { upSlots.map { nodes.all[$0].id } }

    /// The leader with the highest term among nodes that are up.
    var currentLeader: NodeID? {
        upNodes.filter { nodes[$0].raft.role == .leader }.max { nodes[$0].raft.term < nodes[$1].raft.term }
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
        if let l = currentLeader {
            stats.finalCommit = nodes[l].raft.commitIndex
            stats.tasksSucceeded = nodes[l].queue.counts()[.succeeded] ?? 0
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
        // Writes deferred last tick reach the disk now; a crash just before lost them.
        if config.injectedBug != .lazyFsync || now % 50 == 0 {
            for i in upSlots { sync(i) }
        }
        for packet in network.due(now: now) { deliver(packet) }
        for i in upSlots {
            nodes.all[i].raft.tick()
            workerTick(i)
            if nodes.all[i].raft.role == .leader { leaderHousekeeping(i) }
        }
        clientTick()
        for i in upSlots { drain(i) }
        observe()
    }

    /// Sends what a node's Ready batch carries.
    mutating func send(_ i: Int, _ messages: [Message]) {
        let boots = nodes.all[i].boots
        for m in messages { network.send(from: i, epoch: boots, to: endpoint(m.to), now: now, .raft(m)) }
    }

    /// Takes the node's Ready; most batches sync at once, some wait for the next tick.
    mutating func drain(_ i: Int) {
        while var ready = nodes.all[i].raft.nextReady() {
            if config.injectedBug == .lazyFsync {
                send(i, ready.messages)
                ready.messages = []
                nodes.all[i].unsynced.append(ready)
                continue
            }
            nodes.all[i].unsynced.append(ready)
            if !(ready.needsSync && rng.chance(0.3)) { sync(i) }
        }
    }

    /// Makes the node's pending writes durable, then sends and applies, in Ready's order.
    mutating func sync(_ i: Int) {
        let id = nodes.all[i].id
        while nodes.all[i].up, !nodes.all[i].unsynced.isEmpty {
            let ready = nodes.all[i].unsynced.removeFirst()
            nodes.all[i].persist(ready)
            let hs = nodes.all[i].durable.hardState
            checker.observeDurable(id, term: hs.term, commit: hs.commit)
            send(i, ready.messages)
            if let s = ready.snapshot { installSnapshot(i, s) }
            if config.injectedBug == .applyUncommitted {
                for e in ready.entries where e.index > nodes.all[i].applied { apply(i, e) }
            }
            for e in ready.committed where e.index > nodes.all[i].applied { apply(i, e) }
            for event in ready.events { record(id, event) }
            nodes.all[i].maybeCompact(every: config.compactEvery, appliedIndex: nodes.all[i].applied)
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
            stats.snapshotsInstalled += 1
            note("\(id) installed snapshot at \(index)")
        case let .membershipChanged(m, change):
            note("\(id) membership \(change): voters \(m.voters) learners \(m.learners)")
        default:
            break
        }
    }

    mutating func installSnapshot(_ i: Int, _ s: Snapshot) {
        do {
            nodes.all[i].queue = try TaskQueueState(snapshot: s.data)
            nodes.all[i].applied = s.metadata.index
        } catch {
            checker.observeRuntimeViolation("\(nodes.all[i].id) could not restore a snapshot: \(error)")
        }
        nodes.all[i].incarnation += 1
        nodes.all[i].running = [:]
    }

    // MARK: - Delivery

    mutating func deliver(_ p: Packet) {
        if p.to == SimNetwork.client {
            if case let .clientReply(request, outcome) = p.payload,
               let conflict = client.receive(request: request, outcome: outcome, now: now) {
                checker.fail(.duplicateSubmit, conflict)
            }
            return
        }
        guard p.to >= 0, nodes.all[p.to].up, !network.isCut(p.from, p.to) else { return }
        if p.from >= 0, !nodes.all[p.from].up || nodes.all[p.from].boots != p.epoch { return }
        switch p.payload {
        case .raft(let m):
            trace.combine(m.from)
            trace.combine(m.to)
            trace.combine(m.term)
            trace.combine(m.body.tag)
            nodes.all[p.to].raft.step(m)
        case let .forward(command, request):
            propose(at: p.to, command, request: request, replyTo: p.from)
        case let .clientSubmit(key, request):
            let spec = TaskSpec(kind: "sleep", args: ["ms": "50"], maxAttempts: 3, timeoutMs: 2000)
            propose(at: p.to, .submit(key: key, spec: spec, at: now * 10), request: request, replyTo: p.from)
        case .clientReply:
            break
        }
    }

    /// A node receiving a command: the leader proposes it, others redirect clients and drop the rest.
    mutating func propose(at i: Int, _ command: Command, request: UInt64?, replyTo: Endpoint) {
        do {
            let at = try nodes.all[i].raft.propose(command.encode())
            if let request { nodes.all[i].pendingClient[at.index] = (at.term, request) }
        } catch {
            if let request {
                network.send(from: i, epoch: nodes.all[i].boots, to: replyTo, now: now,
                             .clientReply(request: request, outcome: .notLeader(hint: nodes.all[i].raft.leader)))
            }
        }
    }

    // MARK: - Applying

    mutating func apply(_ i: Int, _ e: Entry) {
        let id = nodes.all[i].id
        checker.observeApplied(id, index: e.index, hash: e.hash)
        nodes.all[i].applied = e.index
        let pending = nodes.all[i].pendingClient.removeValue(forKey: e.index)
        guard e.kind == .normal else {
            if let pending { replyNotLeader(i, pending.request) }
            if let (target, at) = pendingRemoval, at.index == e.index {
                pendingRemoval = nil
                if at.term == e.term { retire(target) }
            }
            return
        }
        guard let command = try? Command.decode(e.data) else {
            checker.observeRuntimeViolation("\(id) applied entry \(e.index) that does not decode")
            return
        }
        let effects = nodes.all[i].queue.apply(command)
        var reply: ClientOutcome?
        for effect in effects {
            switch effect {
            case .created(let task, _), .duplicate(let task, _):
                reply = .acknowledged(task)
            case let .assigned(task, node, epoch) where node == id:
                startTask(i, task, epoch: epoch)
            case let .succeeded(task, _, _):
                checker.observeCompletion(id, incarnation: nodes.all[i].incarnation, task: task)
                nodes.all[i].reports[task] = nil
            case .failed(let task), .timedOut(let task), .cancelled(let task), .requeued(let task, _), .retried(let task, _):
                nodes.all[i].reports[task] = nil
                nodes.all[i].running[task] = nil
            case .rejected(let why):
                if let task = why.task { nodes.all[i].reports[task] = nil }
            default:
                break
            }
        }
        if let pending {
            if pending.term == e.term, let reply {
                network.send(from: i, epoch: nodes.all[i].boots, to: SimNetwork.client, now: now,
                             .clientReply(request: pending.request, outcome: reply))
            } else {
                replyNotLeader(i, pending.request)
            }
        }
    }

    mutating func replyNotLeader(_ i: Int, _ request: UInt64) {
        network.send(from: i, epoch: nodes.all[i].boots, to: SimNetwork.client, now: now,
                     .clientReply(request: request, outcome: .notLeader(hint: nodes.all[i].raft.leader)))
    }

    // MARK: - Workers

    mutating func startTask(_ i: Int, _ task: TaskID, epoch: UInt64) {
        guard nodes.all[i].running[task] == nil else { return }
        let duration = UInt64(5 + rng.below(40))
        nodes.all[i].running[task] = (epoch, now + duration)
        sendToLeader(from: i, .start(task: task, node: nodes.all[i].id, epoch: epoch, at: now * 10))
    }

    mutating func workerTick(_ i: Int) {
        guard !nodes.all[i].running.isEmpty || !nodes.all[i].reports.isEmpty else { return }
        let id = nodes.all[i].id
        let finished = nodes.all[i].running.filter { $0.value.finishAt <= now }.keys.sorted()
        for task in finished {
            let epoch = nodes.all[i].running.removeValue(forKey: task)!.epoch
            let command: Command = rng.chance(0.1)
                ? .fail(task: task, node: id, epoch: epoch, message: "simulated failure", at: now * 10)
                : .complete(task: task, node: id, epoch: epoch, result: "ok", at: now * 10)
            nodes.all[i].reports[task] = (command, now)
            sendToLeader(from: i, command)
        }
        // Resend reports the leader may have lost.
        for (task, report) in nodes.all[i].reports.sorted(by: { $0.key < $1.key }) where report.sentAt + 40 <= now {
            nodes.all[i].reports[task]!.sentAt = now
            sendToLeader(from: i, report.command)
        }
    }

    mutating func sendToLeader(from i: Int, _ command: Command) {
        if nodes.all[i].raft.role == .leader {
            propose(at: i, command, request: nil, replyTo: i)
        } else if let leader = nodes.all[i].raft.leader {
            network.send(from: i, epoch: nodes.all[i].boots, to: endpoint(leader), now: now, .forward(command, request: nil))
        }
    }

    // MARK: - Leader housekeeping

    /// The leader's scheduler, requeue of unreachable nodes and task timeouts.
    mutating func leaderHousekeeping(_ i: Int) {
        guard now % 10 == 0 else { return }
        let id = nodes.all[i].id
        let raft = nodes.all[i].raft
        guard raft.term(at: raft.commitIndex) == raft.term, raft.appliedIndex >= nodes.all[i].housekeepingIndex else { return }
        let status = raft.status
        let nowMs = now * 10
        var commands: [Command] = []
        var capacity: [String: Int] = [id: config.slots]
        var unreachable: [NodeID] = []
        for peer in status.peers {
            if peer.ticksSinceContact < UInt64(raft.config.electionTicks) {
                capacity[peer.id] = config.slots
            } else if peer.ticksSinceContact > UInt64(raft.config.electionTicks * 4) {
                unreachable.append(peer.id)
            }
        }
        commands += nodes.all[i].queue.schedule(capacity: capacity, at: nowMs, limit: 16)
        let queue = nodes.all[i].queue
        for node in unreachable where queue.load(on: node) > 0 {
            commands.append(.requeue(node: node, at: nowMs))
        }
        if now % 50 == 0 {
            for t in queue.tasks where t.state == .assigned || t.state == .running {
                if let timeout = t.spec.timeoutMs, nowMs > t.updatedAt, nowMs - t.updatedAt > timeout {
                    commands.append(.timeout(task: t.id, epoch: t.epoch, at: nowMs))
                }
                if let node = t.node, !status.membership.contains(node) {
                    commands.append(.requeue(node: node, at: nowMs))
                }
            }
        }
        for c in commands {
            guard let at = try? nodes.all[i].raft.propose(c.encode()) else { break }
            nodes.all[i].housekeepingIndex = at.index
        }
    }

    // MARK: - Client

    mutating func clientTick() {
        for send in client.tick(now: now, nodes: upNodes.filter { !removed.contains($0) }) {
            network.send(from: SimNetwork.client, to: endpoint(send.to), now: now,
                         .clientSubmit(key: send.key, request: send.request))
        }
    }

    // MARK: - Observation

    /// Feeds the checker with every node's state after the tick.
    mutating func observe() {
        for i in upSlots { Self.observe(nodes.all[i].id, &nodes.all[i].raft, into: &checker) }
        if now % 500 == 0 {
            for i in upSlots {
                checker.checkSubmits(nodes.all[i].id, keysInState: nodes.all[i].queue.tasks.map(\.key), acknowledged: [])
            }
        }
    }

    /// Takes `raft` inout only so that reading it in place spares a copy of the whole node.
    static func observe(_ id: NodeID, _ raft: inout RaftNode, into checker: inout InvariantChecker) {
        checker.observeCommit(id, term: raft.term, commit: raft.commitIndex, hash: raft.commitHash)
        if raft.role == .leader { checker.observeLeader(id, term: raft.term, log: raft) }
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
