import RaftCore
import TaskQueue

extension NodeCore {
    /// The leader's duties every `housekeepingTicks`: schedule queued tasks on members with
    /// free slots that it hears from, requeue the tasks of members silent for
    /// `requeueAfterElectionTimeouts`, and every `timeoutSweepTicks` time out overdue tasks
    /// and requeue those held by nodes no longer members. Waits until an entry of its own
    /// term committed and its previous batch applied, so it never acts on a stale queue.
    mutating func leaderHousekeeping() {
        guard raft.term(at: raft.commitIndex) == raft.term, applied >= housekeepingIndex else { return }
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
        for c in commands {
            guard let at = try? raft.propose(c.encode()) else { break }
            housekeepingIndex = at.index
        }
    }
}
