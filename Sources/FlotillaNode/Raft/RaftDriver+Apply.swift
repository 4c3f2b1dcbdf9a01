#if canImport(Glibc)
import Glibc
#endif
import FlotillaAPI
import Logging
import NodeCore
import PeerTransport
import Prometheus
import RaftCore
import TaskQueue

extension RaftDriver {
    /// An event for each change an applied entry made to the task queue.
    func note(_ effect: Effect) {
        switch effect {
        case let .created(task, key):
            events.record("task", term: core.raft.term, "\(task) submitted (key \(key))")
        case let .assigned(task, node, epoch):
            events.record("task", term: core.raft.term, "\(task) assigned to \(node) (epoch \(epoch))")
        case let .succeeded(task, node, _):
            events.record("task", term: core.raft.term, "\(task) succeeded on \(node)")
        case .failed(let task):
            events.record("task", term: core.raft.term, "\(task) failed")
        case .timedOut(let task):
            events.record("task", term: core.raft.term, "\(task) timed out")
        case .cancelled(let task):
            events.record("task", term: core.raft.term, "\(task) cancelled")
        case let .requeued(task, from):
            events.record("task", term: core.raft.term, "\(task) requeued from \(from)")
        case let .retried(task, attempt):
            events.record("task", term: core.raft.term, "\(task) queued for attempt \(attempt)")
        case .rejected(let why):
            logger.debug("task command rejected: \(String(describing: why))")
        default:
            break
        }
    }

    func publish() {
        var spec = FaultSpec(transport.faults)
        localFaults.report(into: &spec)
        var status = RaftDriver.makeStatus(core: core, config: config, incarnation: incarnation, founding: founding,
                                           faults: spec, uptimeMs: events.uptimeMs)
        let now = ContinuousClock.now
        status.leaderContactAgeMs = heardFromLeaderAt.map { ageMs(now - $0) }
        status.leaderForMs = ledSince.map { ageMs(now - $0) }
        let raft = core.raft
        metrics.term.set(Double(raft.term))
        metrics.isLeader.set(raft.role == .leader ? 1.0 : 0.0)
        metrics.commit.set(Double(raft.commitIndex))
        metrics.applied.set(Double(core.applied))
        metrics.lastIndex.set(Double(raft.lastIndex))
        for (state, n) in core.queue.counts() { metrics.tasks[state.rawValue]?.set(Double(n)) }
        board.publish(status)
    }

    static func makeStatus(core: NodeCore, config: NodeConfig, incarnation: UInt64, founding: FounderCheck?,
                           faults: FaultSpec, uptimeMs: UInt64) -> NodeStatus {
        let raft = core.raft, queue = core.queue
        let s = raft.status
        let addresses = s.membership.addresses
        let members = s.membership.ids.map { id in
            MemberInfo(id: id, raftAddress: addresses[id]?.raft ?? "", adminAddress: addresses[id]?.admin ?? "",
                       voter: s.membership.isVoter(id), incarnation: s.membership.incarnation(of: id).map(Incarnation.text))
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
        var status = NodeStatus(id: s.id, clusterID: config.clusterID, role: role, term: s.term, leader: s.leader, vote: s.vote,
                                commit: s.commit, applied: core.applied, lastIndex: s.lastIndex, snapshotIndex: s.snapshotIndex,
                                commitHash: String(s.commitHash, radix: 16), members: members, peers: peers,
                                tasks: TaskCounts(byState: byState, queued: queue.counts()[.queued] ?? 0, perNode: perNode),
                                faults: faults, raftAddress: config.raftAddress, adminAddress: config.adminAddress,
                                uptimeMs: uptimeMs, storageError: core.fatal ?? core.storageProblem)
        status.incarnation = Incarnation.text(incarnation)
        status.slots = config.slots
        status.founding = founding.map { "asking founders \($0.others.joined(separator: ", ")) whether the cluster exists before founding it" }
        return status
    }
}

/// A non-negative duration in whole milliseconds.
func ageMs(_ d: Duration) -> UInt64 {
    let c = d.components
    return c.seconds < 0 ? 0 : UInt64(c.seconds) * 1000 + UInt64(c.attoseconds / 1_000_000_000_000_000)
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
        guard let h = core.raft.hash(at: index), let t = core.raft.term(at: index) else { return nil }
        return LogHash(index: index, term: t, hash: String(h, radix: 16))
    }
}

extension RaftDriver {
    /// Tasks matching the filters, newest first, at most `limit`.
    func taskList(state: String?, node: String?, limit: Int) -> TaskList {
        var matched: [TaskView] = []
        var total = 0
        for t in core.queue.tasks.reversed() where (state == nil || t.state.rawValue == state) && (node == nil || t.node == node) {
            total += 1
            if matched.count < limit { matched.append(TaskView(t)) }
        }
        return TaskList(tasks: matched, total: total)
    }

    func taskView(_ id: String) -> TaskView? { core.queue.task(id).map(TaskView.init) }
}
