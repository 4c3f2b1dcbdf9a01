extension TaskQueueState {
    /// Applies one committed command and reports what it did. Invalid commands are rejected
    /// without changing the state (stale ones only bump `staleRejections`); nothing traps.
    public mutating func apply(_ command: Command) -> [Effect] {
        switch command {
        case let .submit(key, spec, at):
            return submit(key: key, spec: spec, at: at)
        case let .assign(task, node, epoch, at):
            return assign(task, node: node, epoch: epoch, at: at)
        case let .start(task, node, epoch, at):
            return start(task, node: node, epoch: epoch, at: at)
        case let .complete(task, node, epoch, result, at):
            return complete(task, node: node, epoch: epoch, result: result, at: at)
        case let .fail(task, node, epoch, message, at):
            return fail(task, node: node, epoch: epoch, message: message, at: at)
        case let .cancel(task, at):
            return cancel(task, at: at)
        case let .timeout(task, epoch, at):
            return timeout(task, epoch: epoch, at: at)
        case let .requeue(node, at):
            return requeue(node: node, at: at)
        case let .expire(limits, _):
            return expire(limits)
        }
    }

    private mutating func submit(key: String, spec: TaskSpec, at: UInt64) -> [Effect] {
        let shard = ShardedDictionary<Int>.shard(of: key)
        if let p = positionByKey[key, shard: shard] { return [.duplicate(records[p].id, key: key)] }
        if let id = removedKeyIndex[key] { return [.duplicate(id, key: key)] }
        if let problem = TaskSpec.problem(key: key, spec: spec) { return [.rejected(.invalidSpec(problem))] }
        let p = nextPosition
        nextPosition += 1
        let id = Self.id(forPosition: p)
        var spec = spec
        spec.args = shared(spec.args)
        records.append(TaskRecord(
            id: id, key: key, spec: spec, state: .queued, node: nil, epoch: 0, attempts: 0,
            submittedAt: at, updatedAt: at, result: nil, error: nil), at: p)
        positionByKey[key, shard: shard] = p
        enter(p)
        return [.created(id, key: key)]
    }

    private mutating func assign(_ task: TaskID, node: String, epoch: UInt64, at: UInt64) -> [Effect] {
        guard let p = position(of: task) else { return [.rejected(.unknownTask(task))] }
        let record = records[p]
        guard record.state == .queued else {
            return [.rejected(.invalidState(task: task, state: record.state, command: "assign"))]
        }
        let (expected, exhausted) = record.epoch.addingReportingOverflow(1)
        guard !exhausted else {
            return [.rejected(.invalidState(task: task, state: record.state, command: "assign"))]
        }
        guard epoch == expected else {
            return [.rejected(.staleEpoch(task: task, expected: expected, got: epoch))]
        }
        if let target = record.spec.target, target != node {
            return [.rejected(.wrongNode(task: task, expected: target, got: node))]
        }
        records[p].epoch = epoch
        records[p].attempts = Self.increment(record.attempts)
        move(p, to: .assigned, node: node, at: at)
        return [.assigned(task, node: node, epoch: epoch)]
    }

    private mutating func start(_ task: TaskID, node: String, epoch: UInt64, at: UInt64) -> [Effect] {
        guard let p = position(of: task) else { return [.rejected(.unknownTask(task))] }
        if let rejection = fence(p, node: node, epoch: epoch, command: "start", allowed: [.assigned]) {
            return [.rejected(rejection)]
        }
        move(p, to: .running, node: node, at: at)
        records[p].startedAt = at
        return [.started(task, node: node, epoch: epoch)]
    }

    private mutating func complete(
        _ task: TaskID, node: String, epoch: UInt64, result: String, at: UInt64
    ) -> [Effect] {
        guard let p = position(of: task) else { return [.rejected(.unknownTask(task))] }
        if let rejection = fence(p, node: node, epoch: epoch, command: "complete", allowed: [.assigned, .running]) {
            return [.rejected(rejection)]
        }
        records[p].result = result
        move(p, to: .succeeded, node: node, at: at)
        acceptedCompletions = Self.increment(acceptedCompletions)
        return [.succeeded(task, node: node, epoch: epoch)]
    }

    private mutating func fail(
        _ task: TaskID, node: String, epoch: UInt64, message: String, at: UInt64
    ) -> [Effect] {
        guard let p = position(of: task) else { return [.rejected(.unknownTask(task))] }
        if let rejection = fence(p, node: node, epoch: epoch, command: "fail", allowed: [.assigned, .running]) {
            return [.rejected(rejection)]
        }
        records[p].error = message
        return retryOrFinish(p, final: .failed, lastNode: node, at: at)
    }

    private mutating func cancel(_ task: TaskID, at: UInt64) -> [Effect] {
        guard let p = position(of: task) else { return [.rejected(.unknownTask(task))] }
        let record = records[p]
        guard !record.state.isFinal else {
            return [.rejected(.invalidState(task: task, state: record.state, command: "cancel"))]
        }
        move(p, to: .cancelled, node: record.node, at: at)
        return [.cancelled(task)]
    }

    private mutating func timeout(_ task: TaskID, epoch: UInt64, at: UInt64) -> [Effect] {
        guard let p = position(of: task) else { return [.rejected(.unknownTask(task))] }
        let record = records[p]
        guard epoch == record.epoch else {
            return [.rejected(.staleEpoch(task: task, expected: record.epoch, got: epoch))]
        }
        guard record.state.isActive else {
            return [.rejected(.invalidState(task: task, state: record.state, command: "timeout"))]
        }
        records[p].error = "timed out"
        return retryOrFinish(p, final: .timedOut, lastNode: record.node, at: at)
    }

    private mutating func requeue(node: String, at: UInt64) -> [Effect] {
        guard let held = activeByNode[node] else { return [] }
        // Sets iterate in a per-process order; sort so every replica queues them alike.
        return held.sorted().map { p in
            move(p, to: .queued, node: nil, at: at)
            return .requeued(records[p].id, from: node)
        }
    }

    /// Retention: removes finished tasks from the front of the finishing order while they are
    /// older than the cut-off or more than the count kept, remembering the keys of those still
    /// inside the key window; then forgets remembered keys that fell out of it. Bounded by `limit`.
    private mutating func expire(_ limits: RetentionLimits) -> [Effect] {
        let limit = max(limits.limit, 0)
        var removed = 0
        while removed < limit, let p = finishedOrder.first {
            let record = records[p]
            guard finishedOrder.count > limits.keepFinished || record.updatedAt < limits.finishedBefore else { break }
            _ = finishedOrder.removeFirst()
            stateCounts[record.state.code] -= 1
            positionByKey[record.key] = nil
            records.remove(p)
            if record.submittedAt >= limits.keysBefore {
                removedKeys.append(RemovedKey(key: record.key, id: record.id, submittedAt: record.submittedAt))
                removedKeyIndex[record.key] = record.id
            }
            removed += 1
        }
        var forgotten = 0
        while forgotten < limit, let k = removedKeys.first, k.submittedAt < limits.keysBefore {
            _ = removedKeys.removeFirst()
            removedKeyIndex[k.key] = nil
            forgotten += 1
        }
        removedTasks = Self.increment(removedTasks, by: removed)
        forgottenKeys = Self.increment(forgottenKeys, by: forgotten)
        return removed + forgotten > 0 ? [.expired(tasks: removed, keys: forgotten)] : []
    }

    /// Fencing for the assignee's own reports: the epoch and node must be current, then the state allowed.
    /// Epoch and node mismatches are counted as stale; a wrong state (a duplicate report) is not.
    private mutating func fence(
        _ p: Int, node: String, epoch: UInt64, command: String, allowed: [TaskState]
    ) -> Rejection? {
        let record = records[p]
        if epoch != record.epoch {
            staleRejections = Self.increment(staleRejections)
            return .staleEpoch(task: record.id, expected: record.epoch, got: epoch)
        }
        if node != record.node {
            staleRejections = Self.increment(staleRejections)
            return .wrongNode(task: record.id, expected: record.node, got: node)
        }
        if !allowed.contains(record.state) {
            return .invalidState(task: record.id, state: record.state, command: command)
        }
        return nil
    }

    /// After a failed or timed-out attempt: back to the queue while attempts remain, else `final`.
    private mutating func retryOrFinish(_ p: Int, final: TaskState, lastNode: String?, at: UInt64) -> [Effect] {
        let record = records[p]
        if record.attempts < record.spec.maxAttempts {
            move(p, to: .queued, node: nil, at: at)
            return [.retried(record.id, attempt: Self.increment(record.attempts))]
        }
        move(p, to: final, node: lastNode, at: at)
        return [final == .failed ? .failed(record.id) : .timedOut(record.id)]
    }

    /// Changes a task's state and node, keeping the queue, loads and counters in step.
    private mutating func move(_ p: Int, to state: TaskState, node: String?, at: UInt64) {
        leave(p)
        records[p].state = state
        records[p].node = node
        records[p].updatedAt = at
        enter(p)
        if state.isFinal { finishedOrder.append(p) }
    }

    /// Adds the task at `p` to the indexes of its current state.
    mutating func enter(_ p: Int) {
        let record = records[p]
        stateCounts[record.state.code] += 1
        if record.state == .queued {
            fifo.append(p)
            if let target = record.spec.target {
                queuedByTarget[target, default: 0] += 1
            } else {
                queuedUntargeted += 1
            }
        } else if record.state.isActive, let node = record.node {
            activeByNode[node, default: []].insert(p)
        }
    }

    /// Removes the task at `p` from the indexes of its current state.
    private mutating func leave(_ p: Int) {
        let record = records[p]
        stateCounts[record.state.code] -= 1
        if record.state == .queued {
            fifo.remove(p)
            if let target = record.spec.target {
                let left = (queuedByTarget[target] ?? 1) - 1
                queuedByTarget[target] = left > 0 ? left : nil
            } else {
                queuedUntargeted -= 1
            }
        } else if record.state.isActive, let node = record.node {
            activeByNode[node]?.remove(p)
            if activeByNode[node]?.isEmpty == true { activeByNode[node] = nil }
        }
    }

    /// `n + 1`, saturating: counters restored from a hostile snapshot must not trap.
    static func increment(_ n: Int) -> Int { n < Int.max ? n + 1 : n }

    /// `n + k`, saturating.
    static func increment(_ n: Int, by k: Int) -> Int { n > Int.max - k ? Int.max : n + k }
}
