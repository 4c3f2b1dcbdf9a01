extension RaftNode {
    mutating func stepLeader(_ m: Message) {
        // Progress is updated in place through its dictionary slot: one hash of the id, and
        // no copy-on-write of the in-flight list (a copied `Progress` shares its buffer).
        guard let slot = progress.index(forKey: m.from) else { return }
        progress.values[slot].recentActive = true
        progress.values[slot].lastContactTick = ticks

        switch m.body {
        case let .appendResponse(success, index, hintIndex, hintTerm):
            if success {
                handleAppendSuccess(from: m.from, index: index)
            } else {
                var hint = hintIndex
                if hintTerm > 0 { hint = log.findConflict(byTerm: hintTerm, atOrBelow: hintIndex) }
                let matched = progress.values[slot].match
                if progress.values[slot].maybeDecrease(rejected: index, hint: hint) {
                    if progress.values[slot].match < matched {
                        events.append(.followerRegressed(peer: m.from, from: matched, to: progress.values[slot].match))
                    }
                    if progress.values[slot].state == .replicate { progress.values[slot].becomeProbe() }
                    sendAppend(to: m.from)
                }
            }
        case .heartbeatResponse(let context):
            progress.values[slot].heartbeatAnswered(maxInflight: config.maxInflight)
            if progress.values[slot].match < log.lastIndex || progress.values[slot].state != .replicate {
                sendAppend(to: m.from)
            }
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
        guard let slot = progress.index(forKey: peer) else { return }
        let updated = progress.values[slot].acknowledge(index, leaderLastIndex: log.lastIndex)
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
        guard let slot = progress.index(forKey: peer) else { return }
        let state = progress.values[slot].state
        if case .snapshot = state {
            sendSnapshotChunk(to: peer)
            return
        }
        let next = progress.values[slot].next
        if progress.values[slot].isPaused || (state == .replicate && progress.values[slot].inflightFull(max: config.maxInflight)) { return }
        let prevIndex = next - 1
        guard let prevTerm = log.term(at: prevIndex),
              let entries = log.entries(from: next, maxCount: config.maxEntriesPerAppend, maxBytes: config.maxBytesPerAppend)
        else {
            startSnapshot(to: peer)
            return
        }
        if entries.isEmpty && !evenIfEmpty { return }
        emit(peer, .append(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: log.committed))
        switch state {
        case .replicate:
            if let last = entries.last {
                progress.values[slot].next = last.index + 1
                progress.values[slot].inflight.append(last.index)
            }
        case .probe:
            progress.values[slot].probeSent = true
        case .snapshot:
            break
        }
    }
}
