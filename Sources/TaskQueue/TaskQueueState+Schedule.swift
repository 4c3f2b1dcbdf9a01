extension TaskQueueState {
    /// The leader's scheduler: up to `limit` `.assign` commands (epoch + 1, stamped `at`) placing queued tasks
    /// FIFO on nodes with free slots (`capacity[node] - load(on: node)`): the roomiest node, lowest id on ties.
    /// A targeted task waits for its own node without blocking the tasks behind it.
    /// One pass over the queue, stopping as soon as no task left in it could be placed.
    public func schedule(capacity: [String: Int], at: UInt64, limit: Int = 64) -> [Command] {
        guard limit > 0, fifo.count > 0 else { return [] }
        let nodes = capacity.keys.sorted()
        var slotOf: [String: Int] = [:]
        var free: [Int] = []
        var totalFree = 0
        // Queued tasks targeted at node i not yet passed in the scan, counted while node i has room.
        var pendingFor: [Int] = []
        var pendingTargeted = 0
        for (i, node) in nodes.enumerated() {
            slotOf[node] = i
            let slots = capacity[node] ?? 0
            let load = load(on: node)
            let room = slots > load ? slots - load : 0
            free.append(room)
            totalFree = totalFree > Int.max - room ? Int.max : totalFree + room
            let waiting = room > 0 ? queuedByTarget[node] ?? 0 : 0
            pendingFor.append(waiting)
            pendingTargeted += waiting
        }
        var pendingUntargeted = queuedUntargeted

        var commands: [Command] = []
        var p = fifo.head
        while p >= 0, commands.count < limit, totalFree > 0, pendingUntargeted + pendingTargeted > 0 {
            let record = records[p]
            p = fifo.successor(of: p)
            let chosen: Int?
            if let target = record.spec.target {
                guard let i = slotOf[target], free[i] > 0 else { continue }
                pendingFor[i] -= 1
                pendingTargeted -= 1
                chosen = i
            } else {
                pendingUntargeted -= 1
                chosen = Self.roomiest(free)
            }
            guard let i = chosen, record.epoch < UInt64.max else { continue }
            commands.append(.assign(task: record.id, node: nodes[i], epoch: record.epoch + 1, at: at))
            free[i] -= 1
            totalFree -= 1
            if free[i] == 0 {
                pendingTargeted -= pendingFor[i]
                pendingFor[i] = 0
            }
        }
        return commands
    }

    /// The index of the node with the most free slots, the first (lowest id) on ties; nil when all are full.
    private static func roomiest(_ free: [Int]) -> Int? {
        var best: Int?
        var bestFree = 0
        for (i, room) in free.enumerated() where room > bestFree {
            best = i
            bestFree = room
        }
        return best
    }
}
