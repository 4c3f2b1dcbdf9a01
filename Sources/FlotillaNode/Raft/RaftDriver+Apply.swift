#if canImport(Glibc)
import Glibc
#endif
import FlotillaAPI
import Logging
import Synchronization
import PeerTransport
import Prometheus
import RaftCore
import TaskQueue

extension RaftDriver {
    /// Applies one committed entry to the task queue and settles the proposal waiting on it.
    func apply(_ e: Entry) {
        var effects: [Effect] = []
        if e.kind == .normal {
            do {
                let command = try Command.decode(e.data)
                effects = queue.apply(command)
                for effect in effects { note(effect) }
            } catch {
                logger.critical("committed entry \(e.index) does not decode: \(error)")
                events.record("invariant", term: raft.term, "committed entry \(e.index) does not decode: \(error)")
            }
        }
        if let w = waiting.removeValue(forKey: e.index) {
            if w.term == e.term {
                w.proposal.finish(.success(effects))
            } else {
                w.proposal.finish(.failure(APIError("the proposal was lost in a leader change; retry (submits with the same key are idempotent)", code: APIErrorCode.unavailable)))
            }
        }
        let mine = effects.compactMap { effect -> TaskRecord? in
            if case let .assigned(task, node, _) = effect, node == config.id { return queue.task(task) }
            return nil
        }
        if !mine.isEmpty, e.index > startupIndex { onAssigned?(mine) }
    }

    /// Entries at or below this index were committed before this process started: replaying
    /// them rebuilds state but must not start tasks again.
    var startupIndex: UInt64 { replayedThrough }

    /// Once the log replayed after a restart, runs again the tasks still assigned to this node:
    /// the process that ran them is gone, and nobody else will (their epoch fences any stale report).
    func resumeOwnTasksAfterReplay() {
        guard !resumedOwnTasks, raft.appliedIndex >= startupIndex else { return }
        resumedOwnTasks = true
        HeapRelease.soon()
        let mine = queue.tasks.filter { $0.node == config.id && ($0.state == .assigned || $0.state == .running) }
        if !mine.isEmpty {
            logger.info("resuming \(mine.count) task(s) assigned to this node before it restarted")
            onAssigned?(mine)
        }
    }

    func note(_ effect: Effect) {
        switch effect {
        case let .created(task, key):
            events.record("task", term: raft.term, "\(task) submitted (key \(key))")
        case let .assigned(task, node, epoch):
            events.record("task", term: raft.term, "\(task) assigned to \(node) (epoch \(epoch))")
        case let .succeeded(task, node, _):
            events.record("task", term: raft.term, "\(task) succeeded on \(node)")
        case .failed(let task):
            events.record("task", term: raft.term, "\(task) failed")
        case .timedOut(let task):
            events.record("task", term: raft.term, "\(task) timed out")
        case .cancelled(let task):
            events.record("task", term: raft.term, "\(task) cancelled")
        case let .requeued(task, from):
            events.record("task", term: raft.term, "\(task) requeued from \(from)")
        case let .retried(task, attempt):
            events.record("task", term: raft.term, "\(task) queued for attempt \(attempt)")
        case .rejected(let why):
            logger.debug("task command rejected: \(String(describing: why))")
        default:
            break
        }
    }

    /// The leader's duties every 100 ms: schedule queued tasks, requeue the tasks of nodes
    /// it has not heard from in a while, and time out overdue tasks.
    func leaderHousekeeping() {
        guard raft.term(at: raft.commitIndex) == raft.term, raft.appliedIndex >= housekeepingIndex else { return }
        let status = raft.status
        let nowMs = wallClockMs()
        let addresses = raft.membership.addresses
        var capacity: [String: Int] = [:]
        if let me = addresses[config.id], me.slots > 0 { capacity[config.id] = me.slots }
        var unreachable: [NodeID] = []
        let election = UInt64(raft.config.electionTicks)
        for peer in status.peers {
            if peer.ticksSinceContact < election {
                if let slots = addresses[peer.id]?.slots, slots > 0 { capacity[peer.id] = slots }
            } else if peer.ticksSinceContact > 10 * election {
                unreachable.append(peer.id)
            }
        }
        var commands = queue.schedule(capacity: capacity, at: nowMs, limit: 64)
        for node in unreachable where queue.load(on: node) > 0 {
            commands.append(.requeue(node: node, at: nowMs))
        }
        if ticks % 100 == 0 {
            for t in queue.tasks where t.state == .assigned || t.state == .running {
                if let timeout = t.spec.timeoutMs, nowMs > t.updatedAt, nowMs - t.updatedAt > timeout {
                    commands.append(.timeout(task: t.id, epoch: t.epoch, at: nowMs))
                } else if let node = t.node, !raft.membership.contains(node) {
                    commands.append(.requeue(node: node, at: nowMs))
                }
            }
        }
        for c in commands {
            guard let at = try? raft.propose(c.encode()) else { break }
            housekeepingIndex = at.index
        }
    }

    func publish() {
        let faults = transport.faults
        let spec = FaultSpec(drop: faults.drop.sorted(), direction: .named(faults.direction.rawValue), delayMs: faults.delayMs, loss: faults.loss)
        let status = RaftDriver.makeStatus(raft: raft, queue: queue, config: config, faults: spec, uptimeMs: events.uptimeMs)
        metrics.term.set(Double(raft.term))
        metrics.isLeader.set(raft.role == .leader ? 1.0 : 0.0)
        metrics.commit.set(Double(raft.commitIndex))
        metrics.applied.set(Double(raft.appliedIndex))
        metrics.lastIndex.set(Double(raft.lastIndex))
        for (state, n) in queue.counts() { metrics.tasks[state.rawValue]?.set(Double(n)) }
        board.publish(status)
    }

    static func makeStatus(raft: RaftNode, queue: TaskQueueState, config: NodeConfig, faults: FaultSpec, uptimeMs: UInt64) -> NodeStatus {
        let s = raft.status
        let addresses = s.membership.addresses
        let members = s.membership.ids.map { id in
            MemberInfo(id: id, raftAddress: addresses[id]?.raft ?? "", adminAddress: addresses[id]?.admin ?? "",
                       voter: s.membership.isVoter(id))
        }
        let tickMs = UInt64(config.tickMs)
        let election = UInt64(raft.config.electionTicks)
        let peers = s.peers.map { p -> PeerInfo in
            let health: String
            if p.ticksSinceContact > election { health = "unreachable" }
            else if case .snapshot = p.state { health = "catching-up" }
            else if p.match + 100 < s.lastIndex { health = "catching-up" }
            else { health = "healthy" }
            return PeerInfo(id: p.id, match: p.match, next: p.next, progress: p.state.name, status: health,
                            lastContactMs: p.ticksSinceContact * tickMs,
                            snapshotSent: p.snapshotProgress?.sent, snapshotTotal: p.snapshotProgress?.total)
        }
        var byState: [FlotillaAPI.TaskState: Int] = [:]
        for (state, n) in queue.counts() { byState[.init(state)] = n }
        var perNode: [String: Int] = [:]
        for id in s.membership.ids { perNode[id] = queue.load(on: id) }
        let role: NodeRole = s.role == .follower && !s.isVoter ? .learner : .named(s.role.rawValue)
        return NodeStatus(id: s.id, clusterID: config.clusterID, role: role, term: s.term, leader: s.leader, vote: s.vote,
                          commit: s.commit, applied: s.applied, lastIndex: s.lastIndex, snapshotIndex: s.snapshotIndex,
                          commitHash: String(s.commitHash, radix: 16), members: members, peers: peers,
                          tasks: TaskCounts(byState: byState, queued: queue.counts()[.queued] ?? 0, perNode: perNode),
                          faults: faults, raftAddress: config.raftAddress, adminAddress: config.adminAddress,
                          uptimeMs: uptimeMs)
    }
}

/// Milliseconds since the Unix epoch: the timestamps the leader stamps on task commands.
func wallClockMs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
}

extension RaftDriver {
    /// Publishes again after something outside the loop changed (fault rules).
    func republish() { publish() }

    func logHash(at index: UInt64) -> LogHash? {
        guard let h = raft.hash(at: index), let t = raft.term(at: index) else { return nil }
        return LogHash(index: index, term: t, hash: String(h, radix: 16))
    }
}

extension RaftDriver {
    /// Tasks matching the filters, newest first, at most `limit`.
    func taskList(state: String?, node: String?, limit: Int) -> TaskList {
        var matched: [TaskView] = []
        var total = 0
        for t in queue.tasks.reversed() where (state == nil || t.state.rawValue == state) && (node == nil || t.node == node) {
            total += 1
            if matched.count < limit { matched.append(TaskView(t)) }
        }
        return TaskList(tasks: matched, total: total)
    }

    func taskView(_ id: String) -> TaskView? { queue.task(id).map(TaskView.init) }
}
