import RaftCore
import TaskQueue

extension NodeCore {
    /// Drains Raft's output in the order `Ready` requires: store each batch (one sync), then
    /// release its messages, then apply its committed entries; takes snapshots as due. A batch
    /// the disk refuses is held (see `tick`); a failure the disk cannot recover from ends in
    /// `NodeOutput.fatal`. Returns everything the host must act on since the last call.
    ///
    /// With `sendAhead`, a leader's replication messages (appends, heartbeats, snapshots) leave
    /// through it before their batch is stored, so the followers write while the leader does
    /// (Raft §10.2.1). That is safe because the leader counts its own copy of an entry only when
    /// a follower's acknowledgement is stepped, which happens after this call returns, once the
    /// batch is stored; while a batch is held on a full disk the node steps no message at all.
    public mutating func process(sendAhead: (([Message]) -> Void)? = nil) -> NodeOutput {
        while stalled == nil, fatal == nil, var ready = raft.nextReady() {
            if let sendAhead, ready.needsSync, raft.role == .leader {
                let ahead = ready.messages.filter { $0.isFromLeader }
                if !ahead.isEmpty {
                    ready.messages.removeAll { $0.isFromLeader }
                    sendAhead(ahead)
                }
            }
            guard persist(ready) else { break }
            finish(ready)
        }
        defer { output = NodeOutput() }
        return output
    }

    /// Stores a batch that needs it; false when it could not be (held or fatal).
    mutating func persist(_ ready: Ready) -> Bool {
        guard ready.needsSync else { return true }
        if let hs = ready.hardState, hs.commit < highestCommit {
            violation("commit would go back from \(highestCommit) to \(hs.commit) in the stored hard state")
        }
        let prepared = ready.snapshot.flatMap { snap in restoring?.metadata == snap.metadata ? restoring?.prepared : nil }
        do {
            try store.persist(hardState: ready.hardState, entries: ready.entries, snapshot: ready.snapshot, prepared: prepared)
            return true
        } catch where error.retryable {
            stalled = ready
            stalledSince = ticks
            if storageProblem == nil { output.events.append(.storageStalled(error.message)) }
            storageProblem = error.message
        } catch {
            failForGood(error.message)
        }
        return false
    }

    /// Tries the held batch again; on success the node goes on where it stopped.
    mutating func retryStalled() {
        guard let ready = stalled else { return }
        stalled = nil
        guard persist(ready) else { return }
        let problem = storageProblem ?? ""
        storageProblem = nil
        output.events.append(.storageRecovered(after: problem))
        finish(ready)
    }

    mutating func failForGood(_ message: String) {
        fatal = message
        output.fatal = message
        for token in abandonWaiting() { output.settled.append((token, .failure(.storage(message)))) }
    }

    /// Releases a stored batch: its messages, its snapshot, its committed entries, its events.
    mutating func finish(_ ready: Ready) {
        output.messages.append(contentsOf: ready.messages)
        if let snap = ready.snapshot { restore(snap) }
        if let received = ready.receivedSnapshot {
            installingSnapshot = received.metadata
            output.install = SnapshotInstallJob(received: received)
        }
        if config.plantedBug == .applyUncommitted {
            for e in ready.entries where e.index > applied { apply(e) }
        }
        for e in ready.committed where e.index > applied { apply(e) }
        for event in ready.events { output.events.append(.raft(event)) }
        confirmedReads += ready.readStates.map { ($0.index, $0.context) }
        if !confirmedReads.isEmpty {
            output.reads += confirmedReads.filter { $0.index <= applied }.map(\.token)
            confirmedReads.removeAll { $0.index <= applied }
        }
        if raft.commitIndex < highestCommit {
            violation("commit went back from \(highestCommit) to \(raft.commitIndex)")
        }
        highestCommit = max(highestCommit, raft.commitIndex)
        if !ready.committed.isEmpty || ready.snapshot != nil {
            settleReports()
            resumeOwnTasksAfterReplay()
            scheduleQueued()
        }
        maybeCompact()
    }

    /// Applies one committed entry and settles the proposal waiting on its index.
    mutating func apply(_ e: Entry) {
        applied = e.index
        var effects: [Effect] = []
        if e.kind == .normal {
            do {
                effects = queue.apply(try Command.decode(e.data))
            } catch {
                violation("committed entry \(e.index) does not decode: \(error)")
            }
        }
        if let w = waiting.removeValue(forKey: e.index) {
            output.settled.append((w.token, w.term == e.term ? .success(effects) : .failure(.lost)))
        }
        for effect in effects { follow(effect, replaying: e.index <= startupIndex) }
        output.applied.append(AppliedEntry(entry: e, effects: effects))
    }

    /// Keeps this node's workers in step with an applied effect.
    mutating func follow(_ effect: Effect, replaying: Bool) {
        switch effect {
        case let .assigned(task, node, epoch) where node == id:
            guard !replaying, let record = queue.task(task) else { return }
            running[task] = epoch
            output.start.append(record)
        case .failed(let task), .timedOut(let task), .cancelled(let task), .requeued(let task, _), .retried(let task, _):
            if running.removeValue(forKey: task) != nil { output.stop.append(task) }
        case .succeeded(let task, _, _):
            running[task] = nil
        default:
            break
        }
    }

    /// Replaces the task queue with a snapshot the leader sent, stored now: the queue the host
    /// decoded off the loop is swapped in (one decoded here only if there is none).
    mutating func restore(_ snap: Snapshot) {
        if let r = restoring, r.metadata == snap.metadata {
            restoring = nil
            output.replacedQueue = queue
            queue = r.queue
        } else {
            do {
                queue = try TaskQueueState(snapshot: snap.data)
            } catch {
                violation("the snapshot at \(snap.metadata.index) from the leader does not decode: \(error)")
                return
            }
        }
        applied = snap.metadata.index
        output.restoredSnapshot = true
        // The snapshot replaced what this node's workers were told one entry at a time.
        for (task, epoch) in running.sorted(by: { $0.key < $1.key }) where !holds(task, epoch: epoch) {
            running[task] = nil
            output.stop.append(task)
        }
        if resumedOwnTasks { startOwnTasks(why: "arrived in the snapshot at \(snap.metadata.index)") }
    }

    /// Once the log replayed after a restart, runs again the tasks still assigned here: the
    /// process that ran them is gone, and nobody else will (their epoch fences a stale report).
    mutating func resumeOwnTasksAfterReplay() {
        guard !resumedOwnTasks, applied >= startupIndex else { return }
        resumedOwnTasks = true
        startOwnTasks(why: "were assigned to this node before it restarted")
    }

    mutating func startOwnTasks(why: String) {
        let mine = queue.activeTasks.filter { t in
            t.node == id && (t.state == .assigned || t.state == .running) && running[t.id] != t.epoch
        }
        guard !mine.isEmpty else { return }
        for t in mine { running[t.id] = t.epoch }
        output.start.append(contentsOf: mine)
        output.events.append(.resumedTasks(count: mine.count, why: why))
    }

    /// Whether the queue still has `task` on this node at `epoch`, unfinished.
    func holds(_ task: TaskID, epoch: UInt64) -> Bool {
        guard let t = queue.task(task) else { return false }
        return t.node == id && t.epoch == epoch && (t.state == .assigned || t.state == .running)
    }

    /// Applied entries from one snapshot to the next: see `NodeCoreConfig.snapshotTableShare`.
    var snapshotInterval: Int {
        let share = config.snapshotTableShare
        return share > 0 ? max(config.snapshotEvery, queue.taskCount / share) : config.snapshotEvery
    }

    /// When a snapshot is due, hands the host a frozen copy of the queue to encode off the loop
    /// (one at a time); encoding a large table here held the Raft loop about 1 us a task.
    mutating func maybeCompact() {
        guard encodingSnapshot == nil, applied >= raft.snapshotIndex + UInt64(snapshotInterval),
              applied <= raft.appliedIndex else { return }
        guard let metadata = try? raft.snapshotMetadata(at: applied) else { return }
        encodingSnapshot = applied
        output.encode = SnapshotJob(index: applied, metadata: metadata, state: queue)
    }

    /// The bytes of the snapshot `output.encode` asked for: compacts the log to `index` and
    /// stores the snapshot. Dropped when the log moved past it meanwhile (a snapshot from the
    /// leader, or a membership change applied since, which the snapshot would not carry); the
    /// next one is asked for as usual. `prepared`, the file the host already wrote into place, is
    /// stored by writing its marker; the host discards the file afterwards unless it was stored.
    public mutating func snapshotEncoded(index: UInt64, data: [UInt8], prepared: PreparedSnapshot? = nil) {
        guard encodingSnapshot == index else { return }
        encodingSnapshot = nil
        guard index > raft.snapshotIndex, stalled == nil, fatal == nil else { return }
        do {
            try raft.compact(index: index, snapshotData: data)
        } catch {
            output.events.append(.compactionFailed(index: index, reason: error.description))
            return
        }
        guard let snap = raft.latestSnapshot else { return }
        let usable = prepared.flatMap { $0.metadata == snap.metadata && $0.size == snap.data.count ? $0 : nil }
        do {
            try store.persist(snapshot: snap, prepared: usable)
            output.events.append(.compacted(index: index))
        } catch {
            // The log on disk still holds every entry; the next compaction writes a newer snapshot.
            output.events.append(.compactionFailed(index: index, reason: error.message))
        }
    }

    /// The snapshot `output.install` handed out, made ready off the loop: Raft installs it (the
    /// log restarts after it, its membership is in force), and the next batch stores its WAL
    /// marker (its file is already in place), swaps the decoded queue in and only then
    /// acknowledges it to the leader, so a follower never acknowledges a snapshot it has not
    /// stored. Returns false when it is dropped: not the one awaited any more (a newer one
    /// arrived), the log moved past it meanwhile, the disk refuses writes, or it does not decode;
    /// the host then discards `decoded.prepared`, and the leader sends a snapshot again if it
    /// still needs to.
    @discardableResult
    public mutating func snapshotDecoded(_ decoded: DecodedSnapshot) -> Bool {
        let metadata = decoded.metadata
        guard installingSnapshot == metadata else { return false }
        installingSnapshot = nil
        guard stalled == nil, fatal == nil, case .success(let decodedQueue) = decoded.queue else {
            if case .failure(let error) = decoded.queue {
                violation("the snapshot at \(metadata.index) from the leader does not decode: \(error)")
            }
            raft.abandonSnapshot(metadata)
            return false
        }
        let previous = raft.latestSnapshot
        guard raft.installSnapshot(decoded.snapshot) else { return false }
        output.replacedSnapshot = previous
        restoring = (metadata, decodedQueue, decoded.prepared)
        return true
    }

    mutating func violation(_ what: String) {
        output.events.append(.invariant("\(id): \(what)"))
    }
}
