import RaftCore
import TaskQueue

extension NodeCore {
    /// Whether the leader may act on its queue: an entry of its own term committed and its
    /// previous batch of duties applied, so it never acts on a stale queue.
    var mayActOnQueue: Bool { raft.term(at: raft.commitIndex) == raft.term && applied >= housekeepingIndex }

    /// Free task slots by member (itself included) among those it heard from within an election
    /// timeout, and the members silent for `requeueAfterElectionTimeouts`.
    func survey() -> (status: RaftStatus, capacity: [String: Int], unreachable: [NodeID]) {
        let status = raft.status
        let addresses = status.membership.addresses
        let election = UInt64(config.raft.electionTicks)
        var capacity: [String: Int] = [:]
        if let me = addresses[id], me.slots > 0 { capacity[id] = me.slots }
        var unreachable: [NodeID] = []
        for peer in status.peers {
            if peer.ticksSinceContact < election {
                if let slots = addresses[peer.id]?.slots, slots > 0 { capacity[peer.id] = slots }
            } else if peer.ticksSinceContact > config.requeueAfterElectionTimeouts * election {
                unreachable.append(peer.id)
            }
        }
        return (status, capacity, unreachable)
    }

    /// Places queued tasks at once, after a batch applied (a submit queued one, a completion freed
    /// a slot), instead of waiting for the next housekeeping round.
    mutating func scheduleQueued() {
        guard isLeader, queue.queuedCount > 0, mayActOnQueue else { return }
        propose(queue.schedule(capacity: survey().capacity, at: nowMs, limit: config.scheduleLimit))
    }

    /// The leader's duties every `housekeepingTicks`: schedule queued tasks on members with
    /// free slots that it hears from, requeue the tasks of members silent for
    /// `requeueAfterElectionTimeouts`, and every `timeoutSweepTicks` time out overdue tasks
    /// and requeue those held by nodes no longer members.
    mutating func leaderHousekeeping() {
        guard mayActOnQueue else { return }
        let (status, capacity, unreachable) = survey()
        var commands = queue.schedule(capacity: capacity, at: nowMs, limit: config.scheduleLimit)
        for node in unreachable where queue.load(on: node) > 0 {
            commands.append(.requeue(node: node, at: nowMs))
        }
        if ticks % config.timeoutSweepTicks == 0 {
            var gone = Set<String>()
            for t in queue.tasks where t.state == .assigned || t.state == .running {
                if let timeout = t.spec.timeoutMs, nowMs > t.updatedAt, nowMs - t.updatedAt > timeout {
                    commands.append(.timeout(task: t.id, epoch: t.epoch, at: nowMs))
                } else if let node = t.node, !status.membership.contains(node), gone.insert(node).inserted {
                    commands.append(.requeue(node: node, at: nowMs))
                }
            }
        }
        propose(commands)
    }

    /// Proposes the leader's own commands; the last one's index is what the next round waits for.
    private mutating func propose(_ commands: [Command]) {
        for c in commands {
            guard let at = try? raft.propose(c.encode()) else { break }
            housekeepingIndex = at.index
        }
    }
}
