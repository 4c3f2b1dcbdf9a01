import FlotillaAPI
import Foundation
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
        case let .expired(tasks, keys):
            events.record("retention", term: core.raft.term, "removed \(tasks) finished task(s), forgot \(keys) key(s)")
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
                                           conflict: foundingConflict, faults: spec, uptimeMs: events.uptimeMs)
        let now = ContinuousClock.now
        status.leaderContactAgeMs = heardFromLeaderAt.map { ageMs(now - $0) }
        status.leaderForMs = ledSince.map { ageMs(now - $0) }
        status.snapshotHeldMaxMs = snapshotHeldMax.map { hundredthsMs($0.wall) }
        status.snapshotHeldMaxCPUMs = snapshotHeldMax.map { hundredthsMs($0.cpu) }
        status.snapshotHeldMaxPreempted = snapshotHeldMax?.preempted
        status.snapshotHeldMaxBlocked = snapshotHeldMax?.blocked
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
                           conflict: String? = nil, faults: FaultSpec, uptimeMs: UInt64) -> NodeStatus {
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
        var counts = TaskCounts(byState: byState, queued: queue.counts()[.queued] ?? 0, perNode: perNode)
        counts.removed = queue.removedTasks
        counts.rememberedKeys = queue.rememberedKeyCount
        let role: NodeRole = s.role == .follower && !s.isVoter ? .learner : .named(s.role.rawValue)
        var status = NodeStatus(id: s.id, clusterID: config.clusterID, role: role, term: s.term, leader: s.leader, vote: s.vote,
                                commit: s.commit, applied: core.applied, lastIndex: s.lastIndex, snapshotIndex: s.snapshotIndex,
                                commitHash: String(s.commitHash, radix: 16), members: members, peers: peers,
                                tasks: counts,
                                faults: faults, raftAddress: config.raftAddress, adminAddress: config.adminAddress,
                                uptimeMs: uptimeMs, storageError: core.fatal ?? core.storageProblem)
        status.incarnation = Incarnation.text(incarnation)
        status.slots = config.slots
        status.founding = founding.map { check in
            conflict.map { "not founding: \($0)" }
                ?? "asking founders \(check.others.joined(separator: ", ")) whether the cluster exists before founding it"
        }
        // What founders compare: said while this node holds nothing, as its founder report says it.
        if s.membership.isEmpty, s.lastIndex == 0, let set = founderSet(config) { status.founders = set.raftAddresses }
        return status
    }
}

/// A non-negative duration in whole milliseconds.
/// Milliseconds with their fraction: the CPU time of a short span.
func cpuMs(_ d: Duration) -> Double {
    let c = d.components
    return Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
}

/// `d` in ms, rounded to the hundredth: a hold's figures, which are a few ms at most.
func hundredthsMs(_ d: Duration) -> Double {
    (cpuMs(d) * 100).rounded() / 100
}

func ageMs(_ d: Duration) -> UInt64 {
    let c = d.components
    return c.seconds < 0 ? 0 : UInt64(c.seconds) * 1000 + UInt64(c.attoseconds / 1_000_000_000_000_000)
}

/// Milliseconds since the Unix epoch: the timestamps the leader stamps on task commands.
func wallClockMs() -> UInt64 {
    UInt64(Date().timeIntervalSince1970 * 1000)
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
    /// One page of the tasks matching the filters: newest first, or in id order when `ascending`;
    /// after the cursor `after` when given. At most `limit` tasks, and at most `scanLimit` looked
    /// at, so a page never walks the whole table; `next` continues where it stopped.
    /// `total` counts every task matching the filters.
    func taskList(state: TaskQueue.TaskState?, node: String?, limit: Int, after: String?, ascending: Bool, scanLimit: Int) -> TaskList {
        let queue = core.queue
        let page = queue.page(after: after, descending: !ascending, limit: limit, scanLimit: scanLimit) { t in
            (state == nil || t.state == state) && (node == nil || t.node == node)
        }
        let total: Int
        if let node {
            if let state, state == .assigned || state == .running {
                total = queue.activeTasks.reduce(0) { $0 + ($1.node == node && $1.state == state ? 1 : 0) }
            } else {
                total = queue.count { (state == nil || $0.state == state) && $0.node == node }
            }
        } else {
            total = state.map { queue.counts()[$0] ?? 0 } ?? queue.taskCount
        }
        var list = TaskList(tasks: page.tasks.map(TaskView.init), total: total)
        list.next = page.next
        list.removed = queue.removedTasks
        return list
    }

    /// A page of the remembered keys of removed tasks, from serial `from` on.
    func removedKeys(from: Int, limit: Int) -> RemovedKeyList {
        let page = core.queue.removedKeys(from: from, limit: limit)
        return RemovedKeyList(keys: page.keys.map { RemovedKeyView(key: $0.key, id: $0.id, submittedAt: $0.submittedAt) },
                              next: page.next, removed: core.queue.removedTasks, forgotten: core.queue.forgottenKeys)
    }

    func taskView(_ id: String) -> TaskView? { core.queue.task(id).map(TaskView.init) }

    /// True when `id` was a task that retention has removed.
    func wasRemoved(_ id: String) -> Bool { core.queue.wasRemoved(id) }
}
