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

    /// Follower side of InstallSnapshot: gathers chunks in order, installs when complete.
    mutating func handleSnapshotChunk(from leader: NodeID, metadata: SnapshotMetadata, offset: Int, totalSize: Int, chunk: [UInt8]) {
        if metadata.index <= log.committed {
            // Nothing new in it for us.
            incomingSnapshot = nil
            emit(leader, .appendResponse(success: true, index: log.committed, hintIndex: 0, hintTerm: 0))
            return
        }
        if offset == 0 { incomingSnapshot = Snapshot(metadata: metadata, data: []) }
        guard var incoming = incomingSnapshot, incoming.metadata == metadata, incoming.data.count == offset else {
            // Out of order or from an older transfer: say where we are so the leader resumes there.
            let have = incomingSnapshot.map { $0.metadata == metadata ? $0.data.count : 0 } ?? 0
            emit(leader, .snapshotResponse(index: metadata.index, received: have))
            return
        }
        incoming.data.append(contentsOf: chunk)
        guard incoming.data.count >= totalSize else {
            incomingSnapshot = incoming
            emit(leader, .snapshotResponse(index: metadata.index, received: incoming.data.count))
            return
        }
        incomingSnapshot = nil
        log.restore(metadata)
        membership = metadata.membership
        latestSnapshot = incoming
        snapshotToPersist = incoming
        events.append(.snapshotInstalled(index: metadata.index, term: metadata.term))
        events.append(.membershipChanged(membership, change: "snapshot at \(metadata.index)"))
        // Only the snapshot point is known to match the leader; any entries kept past it are probed.
        emit(leader, .appendResponse(success: true, index: metadata.index, hintIndex: 0, hintTerm: 0))
    }
}
