extension RaftNode {
    /// Records a snapshot of the state machine taken after applying entry `index`, and
    /// drops the log entries it covers. `index` may lag the applied index when the runtime
    /// applies asynchronously, but no membership change may lie between the two (the
    /// snapshot must carry the membership in force at `index`); such a call is refused.
    public mutating func compact(index: UInt64, snapshotData data: [UInt8]) throws(RaftError) {
        guard index > log.snapshot.index else { return }
        let meta = try snapshotMetadata(at: index)
        log.compact(to: meta)
        latestSnapshot = Snapshot(metadata: meta, data: data)
    }

    /// What a snapshot of the state applied up to `index` records: the entry's term and hash and
    /// the membership in force. Stated before the state is encoded, so the host can write the
    /// snapshot's file off the loop; `compact` computes the same value when it is stored. Throws
    /// when `index` is not applied yet, already compacted, or a configuration change was applied
    /// after it (the membership would not be the one at `index`).
    public func snapshotMetadata(at index: UInt64) throws(RaftError) -> SnapshotMetadata {
        guard index <= log.applied, let t = log.term(at: index), let h = log.hash(at: index) else {
            throw .snapshotOutOfRange(requested: index, applied: log.applied)
        }
        if index < log.applied, (index + 1...log.applied).contains(where: { log.entry(at: $0)?.kind == .config }) {
            throw .snapshotOutOfRange(requested: index, applied: log.applied)
        }
        return SnapshotMetadata(index: index, term: t, hash: h, membership: membership)
    }

    /// Snapshots at the applied index: for runtimes that apply each `Ready` before taking the next.
    public mutating func compact(snapshotData data: [UInt8]) throws(RaftError) {
        try compact(index: log.applied, snapshotData: data)
    }

    mutating func startSnapshot(to peer: NodeID) {
        guard let snap = latestSnapshot, var pr = progress[peer] else { return }
        pr.becomeSnapshot(snap)
        progress[peer] = pr
        sendSnapshotChunk(to: peer)
    }

    mutating func sendSnapshotChunk(to peer: NodeID) {
        guard var pr = progress[peer], case .snapshot = pr.state, !pr.snapshotChunkOutstanding,
              let snap = pr.sendingSnapshot else { return }
        let start = min(pr.snapshotAcked, snap.data.count)
        let end = min(start + config.snapshotChunkSize, snap.data.count)
        emit(peer, .snapshot(metadata: snap.metadata, offset: start, totalSize: snap.data.count,
                             chunk: Array(snap.data[start..<end])))
        pr.snapshotChunkOutstanding = true
        progress[peer] = pr
    }

    mutating func handleSnapshotResponse(from peer: NodeID, index: UInt64, received: Int) {
        guard var pr = progress[peer], case .snapshot(let pending) = pr.state, pending == index else { return }
        pr.snapshotAcked = received
        pr.snapshotChunkOutstanding = false
        progress[peer] = pr
        sendSnapshotChunk(to: peer)
    }

    /// Follower side of InstallSnapshot: gathers chunks in order; once the last one is in, hands
    /// the whole snapshot to the host (`Ready.receivedSnapshot`) and waits for it to be stored
    /// (`installSnapshot`): only that acknowledges it. While the host stores it, the leader's
    /// resends of the last chunk are left unanswered.
    mutating func handleSnapshotChunk(from leader: NodeID, metadata: SnapshotMetadata, offset: Int, totalSize: Int, chunk: [UInt8]) {
        if metadata.index <= log.committed {
            // Nothing new in it for us.
            incomingSnapshot = nil
            emit(leader, .appendResponse(success: true, index: log.committed, hintIndex: 0, hintTerm: 0))
            return
        }
        if awaitingInstall?.metadata == metadata { return }
        if offset == 0 { incomingSnapshot = IncomingSnapshot(metadata: metadata) }
        guard var incoming = incomingSnapshot, incoming.metadata == metadata, incoming.count == offset else {
            // Out of order or from an older transfer: say where we are so the leader resumes there.
            let have = incomingSnapshot.map { $0.metadata == metadata ? $0.count : 0 } ?? 0
            emit(leader, .snapshotResponse(index: metadata.index, received: have))
            return
        }
        // Taken out first, so the chunk list below grows in place instead of being copied.
        incomingSnapshot = nil
        incoming.append(chunk)
        guard incoming.count >= totalSize else {
            incomingSnapshot = incoming
            emit(leader, .snapshotResponse(index: metadata.index, received: incoming.count))
            return
        }
        awaitingInstall = AwaitedInstall(metadata: metadata, leader: leader, term: term)
        receivedSnapshot = incoming
    }

    /// Installs a snapshot this node handed out in `Ready.receivedSnapshot`, now that the host has
    /// it (its file written, its state machine decoded): the log restarts after it, its membership
    /// is in force, the next `Ready` carries it in `snapshot` to store and restore, and the leader
    /// that sent it, if it still leads this term, gets the acknowledgement. Returns false and
    /// installs nothing when it is not the snapshot awaited (a newer one arrived, or it was
    /// abandoned), or the log moved past it meanwhile: the host drops it.
    public mutating func installSnapshot(_ snapshot: Snapshot) -> Bool {
        guard let awaited = awaitingInstall, awaited.metadata == snapshot.metadata else { return false }
        awaitingInstall = nil
        let metadata = snapshot.metadata
        guard role != .leader, metadata.index > log.committed, metadata.index > log.snapshot.index else { return false }
        log.restore(metadata)
        membership = metadata.membership
        latestSnapshot = snapshot
        snapshotToPersist = snapshot
        events.append(.snapshotInstalled(index: metadata.index, term: metadata.term))
        events.append(.membershipChanged(membership, change: "snapshot at \(metadata.index)"))
        // Only the snapshot point is known to match the leader; any entries kept past it are probed.
        if leader == awaited.leader, term == awaited.term {
            emit(awaited.leader, .appendResponse(success: true, index: metadata.index, hintIndex: 0, hintTerm: 0))
        }
        return true
    }

    /// The host could not store the snapshot awaited with `metadata`: forgets it, so the leader's
    /// next resend of a chunk finds nothing gathered and starts the transfer again.
    public mutating func abandonSnapshot(_ metadata: SnapshotMetadata) {
        if awaitingInstall?.metadata == metadata { awaitingInstall = nil }
    }

    /// The snapshot handed to the host and not yet installed or abandoned.
    public var awaitedSnapshot: SnapshotMetadata? { awaitingInstall?.metadata }
}
