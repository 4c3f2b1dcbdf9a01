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
    var order: [NodeID] = []
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
        order.append(id)
    }

    var upNodes: [NodeID] { order.filter { nodes[$0].up } }

    /// The leader with the highest term among nodes that are up.
    var currentLeader: NodeID? {
        upNodes.filter { nodes[$0].raft.role == .leader }.max { nodes[$0].raft.term < nodes[$1].raft.term }
    }

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

    /// One tick of simulated time.
    mutating func step() {
        now += 1
        checker.tick = now
        // Writes deferred last tick reach the disk now; a crash just before lost them.
        if config.injectedBug != .lazyFsync || now % 50 == 0 {
            for id in upNodes { sync(id) }
        }
        for packet in network.due(now: now) { deliver(packet) }
        for id in upNodes {
            nodes[id].raft.tick()
            workerTick(id)
            if nodes[id].raft.role == .leader { leaderHousekeeping(id) }
        }
        clientTick()
        for id in upNodes { drain(id) }
        observe()
    }

    /// Takes the node's Ready; most batches sync at once, some wait for the next tick.
    mutating func drain(_ id: NodeID) {
        while nodes[id].raft.hasReady {
            var ready = nodes[id].raft.takeReady()
            if config.injectedBug == .lazyFsync {
                for m in ready.messages { network.send(from: id, epoch: nodes[id].boots, to: m.to, now: now, .raft(m)) }
                ready.messages = []
                nodes[id].unsynced.append(ready)
                continue
            }
            nodes[id].unsynced.append(ready)
            if !(ready.needsSync && rng.chance(0.3)) { sync(id) }
        }
    }

    /// Makes the node's pending writes durable, then sends and applies, in Ready's order.
    mutating func sync(_ id: NodeID) {
        while nodes[id].up, !nodes[id].unsynced.isEmpty {
            let ready = nodes[id].unsynced.removeFirst()
            nodes[id].persist(ready)
            let hs = nodes[id].durable.hardState
            checker.observeDurable(id, term: hs.term, commit: hs.commit)
            for m in ready.messages { network.send(from: id, epoch: nodes[id].boots, to: m.to, now: now, .raft(m)) }
            if let s = ready.snapshot { installSnapshot(id, s) }
            if config.injectedBug == .applyUncommitted {
                for e in ready.entries where e.index > nodes[id].applied { apply(id, e) }
            }
            for e in ready.committed where e.index > nodes[id].applied { apply(id, e) }
            for event in ready.events { record(id, event) }
            nodes[id].maybeCompact(every: config.compactEvery, appliedIndex: nodes[id].applied)
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

    mutating func installSnapshot(_ id: NodeID, _ s: Snapshot) {
        do {
            nodes[id].queue = try TaskQueueState(snapshot: s.data)
            nodes[id].applied = s.metadata.index
        } catch {
            checker.observeRuntimeViolation("\(id) could not restore a snapshot: \(error)")
        }
        nodes[id].incarnation += 1
        nodes[id].running = [:]
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
        guard nodes.contains(p.to), nodes[p.to].up, !network.isCut(p.from, p.to) else { return }
        if nodes.contains(p.from), !nodes[p.from].up || nodes[p.from].boots != p.epoch { return }
        switch p.payload {
        case .raft(let m):
            trace.combine(m.from)
            trace.combine(m.to)
            trace.combine(m.term)
            trace.combine(m.body.tag)
            nodes[p.to].raft.step(m)
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
    mutating func propose(at id: NodeID, _ command: Command, request: UInt64?, replyTo: NodeID) {
        do {
            let at = try nodes[id].raft.propose(command.encode())
            if let request { nodes[id].pendingClient[at.index] = (at.term, request) }
        } catch {
            if let request {
                network.send(from: id, epoch: nodes[id].boots, to: replyTo, now: now,
                             .clientReply(request: request, outcome: .notLeader(hint: nodes[id].raft.leader)))
            }
        }
    }

    // MARK: - Applying

    mutating func apply(_ id: NodeID, _ e: Entry) {
        checker.observeApplied(id, index: e.index, hash: e.hash)
        nodes[id].applied = e.index
        let pending = nodes[id].pendingClient.removeValue(forKey: e.index)
        guard e.kind == .normal else {
            if let pending { replyNotLeader(id, pending.request) }
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
        let effects = nodes[id].queue.apply(command)
        var reply: ClientOutcome?
        for effect in effects {
            switch effect {
            case .created(let task, _), .duplicate(let task, _):
                reply = .acknowledged(task)
            case let .assigned(task, node, epoch) where node == id:
                startTask(id, task, epoch: epoch)
            case let .succeeded(task, _, _):
                checker.observeCompletion(id, incarnation: nodes[id].incarnation, task: task)
                nodes[id].reports[task] = nil
            case .failed(let task), .timedOut(let task), .cancelled(let task), .requeued(let task, _), .retried(let task, _):
                nodes[id].reports[task] = nil
                nodes[id].running[task] = nil
            case .rejected(let why):
                if let task = why.task { nodes[id].reports[task] = nil }
            default:
                break
            }
        }
        if let pending {
            if pending.term == e.term, let reply {
                network.send(from: id, epoch: nodes[id].boots, to: SimNetwork.client, now: now, .clientReply(request: pending.request, outcome: reply))
            } else {
                replyNotLeader(id, pending.request)
            }
        }
    }

    mutating func replyNotLeader(_ id: NodeID, _ request: UInt64) {
        network.send(from: id, epoch: nodes[id].boots, to: SimNetwork.client, now: now,
                     .clientReply(request: request, outcome: .notLeader(hint: nodes[id].raft.leader)))
    }

    // MARK: - Workers

    mutating func startTask(_ id: NodeID, _ task: TaskID, epoch: UInt64) {
        guard nodes[id].running[task] == nil else { return }
        let duration = UInt64(5 + rng.below(40))
        nodes[id].running[task] = (epoch, now + duration)
        sendToLeader(from: id, .start(task: task, node: id, epoch: epoch, at: now * 10))
    }

    mutating func workerTick(_ id: NodeID) {
        guard !nodes[id].running.isEmpty || !nodes[id].reports.isEmpty else { return }
        let finished = nodes[id].running.filter { $0.value.finishAt <= now }.keys.sorted()
        for task in finished {
            let epoch = nodes[id].running.removeValue(forKey: task)!.epoch
            let command: Command = rng.chance(0.1)
                ? .fail(task: task, node: id, epoch: epoch, message: "simulated failure", at: now * 10)
                : .complete(task: task, node: id, epoch: epoch, result: "ok", at: now * 10)
            nodes[id].reports[task] = (command, now)
            sendToLeader(from: id, command)
        }
        // Resend reports the leader may have lost.
        for (task, report) in nodes[id].reports.sorted(by: { $0.key < $1.key }) where report.sentAt + 40 <= now {
            nodes[id].reports[task]!.sentAt = now
            sendToLeader(from: id, report.command)
        }
    }

    mutating func sendToLeader(from id: NodeID, _ command: Command) {
        if nodes[id].raft.role == .leader {
            propose(at: id, command, request: nil, replyTo: id)
        } else if let leader = nodes[id].raft.leader {
            network.send(from: id, epoch: nodes[id].boots, to: leader, now: now, .forward(command, request: nil))
        }
    }

    // MARK: - Leader housekeeping

    /// The leader's scheduler, requeue of unreachable nodes and task timeouts.
    mutating func leaderHousekeeping(_ id: NodeID) {
        guard now % 10 == 0 else { return }
        let raft = nodes[id].raft
        guard raft.term(at: raft.commitIndex) == raft.term, raft.appliedIndex >= nodes[id].housekeepingIndex else { return }
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
        commands += nodes[id].queue.schedule(capacity: capacity, at: nowMs, limit: 16)
        let queue = nodes[id].queue
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
            guard let at = try? nodes[id].raft.propose(c.encode()) else { break }
            nodes[id].housekeepingIndex = at.index
        }
    }

    // MARK: - Client

    mutating func clientTick() {
        for send in client.tick(now: now, nodes: upNodes.filter { !removed.contains($0) }) {
            network.send(from: SimNetwork.client, to: send.to, now: now, .clientSubmit(key: send.key, request: send.request))
        }
    }

    // MARK: - Observation

    /// Feeds the checker with every node's state after the tick.
    mutating func observe() {
        for id in upNodes {
            let raft = nodes[id].raft
            checker.observeCommit(id, term: raft.term, commit: raft.commitIndex, hash: raft.commitHash)
            if raft.role == .leader { checker.observeLeader(id, term: raft.term, log: raft) }
        }
        if now % 500 == 0 {
            for id in upNodes {
                checker.checkSubmits(id, keysInState: nodes[id].queue.tasks.map(\.key), acknowledged: [])
            }
        }
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
