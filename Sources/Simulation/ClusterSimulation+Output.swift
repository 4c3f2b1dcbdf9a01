import BinaryCoding
import NodeCore
import RaftCore
import TaskQueue

/// The simulator as the host of the node whose output it is carrying out (`carrying`): the
/// same `NodeOutput.carryOut` order as the node runtime's driver. Public only because the
/// protocol is; nothing outside the simulator calls these.
extension ClusterSimulation: NodeOutputHost {
    public mutating func send(_ messages: [Message]) {
        for m in messages { network.send(from: carrying, epoch: carryingBoots, to: endpoint(m.to), now: now, .raft(m)) }
    }

    public mutating func restoredSnapshot() {
        nodes.all[carrying].rebuilds += 1
        stats.snapshotsInstalled += 1
    }

    public mutating func applied(_ a: AppliedEntry) {
        let id = carryingID
        checker.observeApplied(id, index: a.entry.index, hash: a.entry.hash)
        for effect in a.effects {
            if case .succeeded(let task, _, _) = effect {
                checker.observeCompletion(id, incarnation: nodes.all[carrying].rebuilds, task: task)
            }
        }
    }

    public mutating func settled(_ token: UInt64, _ result: Result<[Effect], NodeRefusal>) { settle(carrying, token, result) }

    public mutating func readsReady(_ tokens: [UInt64]) { answerReads(carrying, tokens) }

    public mutating func stopTasks(_ tasks: [TaskID]) {
        for task in tasks { nodes.all[carrying].running[task] = nil }
    }

    public mutating func startTasks(_ tasks: [TaskRecord]) {
        for t in tasks { startTask(carrying, t.id, epoch: t.epoch) }
    }

    public mutating func forward(_ command: Command, to leader: NodeID) {
        network.send(from: carrying, epoch: carryingBoots, to: endpoint(leader), now: now, .forward(command, request: nil))
    }

    public mutating func event(_ event: CoreEvent) {
        if case .raft(.membershipChanged) = event { nodes.all[carrying].refreshIncarnations() }
        if case .raft(.snapshotInstalled) = event { nodes.all[carrying].refreshIncarnations() }
        record(carryingID, event)
    }

    public mutating func encodeSnapshot(_ job: SnapshotJob) {
        nodes.all[carrying].encoding = (job, now + UInt64(rng.below(4)))
    }

    public mutating func decodeSnapshot(_ job: SnapshotInstallJob) {
        // Up to a few heartbeats later, so the leader's resends and a newer transfer can overtake it.
        nodes.all[carrying].installing.append((job, now + UInt64(rng.below(12))))
    }

    public mutating func fatal(_ reason: String) {
        let id = carryingID
        guard nodes.all[carrying].cutArmed else {
            return checker.observeRuntimeViolation("\(id) stopped: storage failed: \(reason)")
        }
        // The power cut the nemesis scheduled hit a write: the node dies, and comes back.
        note("\(id) lost power: \(reason)")
        crash(id)
        bounces.append((id, now + UInt64(1 + rng.below(3))))
    }
}
