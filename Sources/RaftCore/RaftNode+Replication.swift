extension RaftNode {
    mutating func stepLeader(_ m: Message) {
        guard var pr = progress[m.from] else { return }
        pr.recentActive = true
        pr.lastContactTick = ticks
        progress[m.from] = pr

        switch m.body {
        case let .appendResponse(success, index, hintIndex, hintTerm):
            if success {
                handleAppendSuccess(from: m.from, index: index)
            } else {
                var hint = hintIndex
                if hintTerm > 0 { hint = log.findConflict(byTerm: hintTerm, atOrBelow: hintIndex) }
                if progress[m.from]!.maybeDecrease(rejected: index, hint: hint) {
                    if progress[m.from]!.state == .replicate { progress[m.from]!.becomeProbe() }
                    sendAppend(to: m.from)
                }
            }
        case .heartbeatResponse(let context):
            var p = progress[m.from]!
            p.probeSent = false
            if case .replicate = p.state, p.inflightFull(max: config.maxInflight) { p.inflight.removeFirst() }
            if case .snapshot = p.state { p.snapshotChunkOutstanding = false }
            progress[m.from] = p
            if p.match < log.lastIndex || p.state != .replicate { sendAppend(to: m.from) }
            if context != 0 { ackRead(context: context, from: m.from) }
        case let .snapshotResponse(index, received):
            handleSnapshotResponse(from: m.from, index: index, received: received)
        case .append(_, _, _, _), .heartbeat, .snapshot:
            // Another leader in our own term: Election Safety is broken.
            violation("received \(m.body.name) from \(m.from), another leader in term \(term)")
        default:
            break
        }
    }

    mutating func handleAppendSuccess(from peer: NodeID, index: UInt64) {
        guard var pr = progress[peer] else { return }
        let updated = pr.maybeUpdate(index)
        switch pr.state {
        case .probe:
            if updated || pr.match == log.lastIndex { pr.becomeReplicate() }
        case .snapshot(let snapIndex):
            if pr.match >= snapIndex { pr.becomeReplicate() }
        case .replicate:
            break
        }
        progress[peer] = pr
        if updated, maybeCommit() {
            broadcastAppend()
        } else {
            sendAppend(to: peer, evenIfEmpty: false)
        }
        if peer == leadTransferee, progress[peer]!.match == log.lastIndex {
            emit(peer, .timeoutNow)
        }
    }

    /// Advances the commit index to the highest index stored on a quorum of voters, but only
    /// when that entry is from the current term (entries of older terms commit with it).
    @discardableResult
    mutating func maybeCommit() -> Bool {
        var matches: [UInt64] = []
        for v in membership.voters {
            if v == id { matches.append(log.lastIndex) } else { matches.append(progress[v]?.match ?? 0) }
        }
        guard !matches.isEmpty else { return false }
        matches.sort(by: >)
        let candidate = matches[membership.quorum - 1]
        guard candidate > log.committed, log.term(at: candidate) == term else { return false }
        let before = log.committed
        _ = log.commit(to: candidate)
        if log.term(at: before) != term { releaseReadsAwaitingCommit() }
        return true
    }

    mutating func broadcastAppend() {
        for peer in progress.keys.sorted() { sendAppend(to: peer, evenIfEmpty: true) }
    }

    mutating func broadcastHeartbeat(context: UInt64) {
        for peer in progress.keys.sorted() {
            let pr = progress[peer]!
            emit(peer, .heartbeat(commit: min(pr.match, log.committed), context: context))
        }
    }

    /// Sends the next append (or snapshot chunk) the peer's progress allows.
    mutating func sendAppend(to peer: NodeID, evenIfEmpty: Bool = true) {
        guard var pr = progress[peer] else { return }
        if case .snapshot = pr.state {
            sendSnapshotChunk(to: peer)
            return
        }
        if pr.isPaused || (pr.state == .replicate && pr.inflightFull(max: config.maxInflight)) { return }
        let prevIndex = pr.next - 1
        guard let prevTerm = log.term(at: prevIndex),
              let entries = log.entries(from: pr.next, maxCount: config.maxEntriesPerAppend, maxBytes: config.maxBytesPerAppend)
        else {
            startSnapshot(to: peer)
            return
        }
        if entries.isEmpty && !evenIfEmpty { return }
        emit(peer, .append(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: log.committed))
        switch pr.state {
        case .replicate:
            if let last = entries.last {
                pr.next = last.index + 1
                pr.inflight.append(last.index)
            }
        case .probe:
            pr.probeSent = true
        case .snapshot:
            break
        }
        progress[peer] = pr
    }
}
