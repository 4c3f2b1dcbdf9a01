import RaftCore
import TaskQueue

extension NodeCore {
    /// Whether the leader may act on its queue: an entry of its own term committed and its
    /// previous batch of duties applied, so it never acts on a stale queue.
    var mayActOnQueue: Bool { raft.term(at: raft.commitIndex) == raft.term && applied >= housekeepingIndex }

    /// Task slots by member (itself included) among those it heard from within an election
    /// timeout, and the members silent for `requeueAfterElectionTimeouts`.
    mutating func survey() -> (capacity: [String: Int], unreachable: [NodeID]) {
        let election = UInt64(config.raft.electionTicks)
        var capacity: [String: Int] = [:]
        var unreachable: [NodeID] = []
        let slotsOf = memberSlots()
        for member in raft.membership.ids {
            let slots = slotsOf[member] ?? 0
            guard member != id else {
                if slots > 0 { capacity[id] = slots }
                continue
            }
            guard let silent = raft.ticksSinceContact(of: member) else { continue }
            if silent < election {
                if slots > 0 { capacity[member] = slots }
            } else if silent > config.requeueAfterElectionTimeouts * election {
                unreachable.append(member)
            }
        }
        return (capacity, unreachable)
    }

    /// Each member's task slots, decoded from the membership once per change of it.
    mutating func memberSlots() -> [NodeID: Int] {
        if let cached = slotsCache, cached.membership == raft.membership { return cached.slots }
        let slots = raft.membership.addresses.mapValues(\.slots)
        slotsCache = (raft.membership, slots)
        return slots
    }

    /// Places queued tasks at once, after a batch applied (a submit queued one, a completion freed
    /// a slot), instead of waiting for the next housekeeping round.
    mutating func scheduleQueued() {
        guard isLeader, queue.queuedCount > 0, mayActOnQueue else { return }
        let capacity = survey().capacity
        propose(queue.schedule(capacity: capacity, at: nowMs, limit: config.scheduleLimit))
    }

    /// The leader's duties every `housekeepingTicks`: schedule queued tasks on members with
    /// free slots that it hears from, requeue the tasks of members silent for
    /// `requeueAfterElectionTimeouts`, every `timeoutSweepTicks` time out overdue tasks
    /// and requeue those held by nodes no longer members, and remove finished tasks and forget
    /// keys as the retention says (one bounded `expire` a round while anything is due).
    mutating func leaderHousekeeping() {
        guard mayActOnQueue else { return }
        let (capacity, unreachable) = survey()
        let membership = raft.membership
        var commands = queue.schedule(capacity: capacity, at: nowMs, limit: config.scheduleLimit)
        for node in unreachable where queue.load(on: node) > 0 {
            commands.append(.requeue(node: node, at: nowMs))
        }
        if ticks % config.timeoutSweepTicks == 0 {
            var gone = Set<String>()
            for t in queue.activeTasks {
                if let timeout = t.spec.timeoutMs, nowMs > t.updatedAt, nowMs - t.updatedAt > timeout {
                    commands.append(.timeout(task: t.id, epoch: t.epoch, at: nowMs))
                } else if let node = t.node, !membership.contains(node), gone.insert(node).inserted {
                    commands.append(.requeue(node: node, at: nowMs))
                }
            }
        }
        if let limits = retentionLimits(), queue.hasExpired(limits) {
            commands.append(.expire(limits, at: nowMs))
        }
        propose(commands)
    }

    /// The retention's limits on this node's clock now, or nil while the clock is unknown.
    func retentionLimits() -> RetentionLimits? {
        guard nowMs > 0 else { return nil }
        let r = config.retention
        return RetentionLimits(
            finishedBefore: nowMs > r.finishedMs ? nowMs - r.finishedMs : 0, keepFinished: r.keepFinished,
            keysBefore: nowMs > r.keyWindowMs ? nowMs - r.keyWindowMs : 0, limit: r.batch)
    }

    /// Proposes the leader's own commands; the last one's index is what the next round waits for.
    private mutating func propose(_ commands: [Command]) {
        for c in commands {
            guard let at = try? raft.propose(c.encode()) else { break }
            housekeepingIndex = at.index
        }
    }
}
