extension RaftNode {
    /// Appends `data` to the leader's log. The entry is sent with the next `takeReady()`,
    /// so proposals made together travel together. The proposal succeeded when the entry
    /// committed at the returned index has the returned term.
    @discardableResult
    public mutating func propose(_ data: [UInt8]) throws(RaftError) -> EntryID {
        try checkCanPropose()
        return append(kind: .normal, data: data)
    }

    /// Proposes a single-server membership change. Refused while another change is pending
    /// or before the leader has committed an entry of its own term.
    @discardableResult
    public mutating func proposeConfChange(_ change: ConfChange) throws(RaftError) -> EntryID {
        try checkCanPropose()
        if case .bootstrap = change { throw .invalidConfChange("bootstrap is only valid as the first entry") }
        if pendingConfIndex > log.applied { throw .configChangePending(index: pendingConfIndex) }
        if let why = membership.rejection(of: change) { throw .invalidConfChange(why) }
        let at = append(kind: .config, data: change.encode())
        pendingConfIndex = at.index
        return at
    }

    func checkCanPropose() throws(RaftError) {
        guard role == .leader else { throw .notLeader(leader: leader) }
        if let target = leadTransferee { throw .transferInProgress(to: target) }
    }

    mutating func append(kind: EntryKind, data: [UInt8]) -> EntryID {
        let e = log.appendNew(term: term, kind: kind, data: data)
        if membership.voters == [id] { maybeCommit() }
        needsBroadcast = true
        return EntryID(index: e.index, term: e.term)
    }

    /// Applies a committed membership change to the configuration Raft uses.
    mutating func applyConfChange(_ e: Entry) {
        guard let change = try? ConfChange.decode(e.data) else {
            violation("committed config entry \(e.index) does not decode")
            return
        }
        let before = membership
        membership = membership.applying(change)
        guard membership != before else { return }
        events.append(.membershipChanged(membership, change: change.description))
        guard role == .leader else { return }
        for peer in membership.ids where peer != id && progress[peer] == nil {
            progress[peer] = Progress(next: log.lastIndex + 1)
            sendAppend(to: peer)
        }
        for peer in progress.keys where !membership.contains(peer) { progress[peer] = nil }
        if let target = leadTransferee, !membership.isVoter(target) {
            leadTransferee = nil
            events.append(.transferAborted(to: target, reason: "\(target) is no longer a voter"))
        }
        if !membership.isVoter(id) {
            // A leader that is removed (or was never a voter) hands over by stepping down.
            becomeFollower(term: term, leader: nil)
        } else if maybeCommit() {
            // The quorum may have shrunk.
            broadcastAppend()
        }
    }

    /// Asks the leader to hand leadership to `target`: it catches the target up, then tells
    /// it to campaign at once. Proposals are refused meanwhile; the transfer is abandoned
    /// after one election timeout.
    public mutating func transferLeadership(to target: NodeID) throws(RaftError) {
        guard role == .leader else { throw .notLeader(leader: leader) }
        guard target != id else { return }
        guard membership.contains(target) else { throw .unknownNode(target) }
        guard membership.isVoter(target) else { throw .notVoter(target) }
        if let current = leadTransferee {
            if current == target { return }
            events.append(.transferAborted(to: current, reason: "superseded by a transfer to \(target)"))
        }
        leadTransferee = target
        electionElapsed = 0
        events.append(.transferStarted(to: target))
        if progress[target]?.match == log.lastIndex {
            emit(target, .timeoutNow)
        } else {
            sendAppend(to: target)
        }
    }

    /// Starts a linearizable read: once a quorum confirms this node is still leader, a
    /// `ReadState` with `context` appears in a later `Ready`; the read may be served when
    /// the state machine has applied its index.
    public mutating func readIndex(context: UInt64) throws(RaftError) {
        precondition(context != 0, "context 0 is reserved")
        guard role == .leader else { throw .notLeader(leader: leader) }
        if log.term(at: log.committed) != term {
            // Until an entry of this term commits, our commit index may be behind the cluster's.
            readsAwaitingCommit.append(context)
            return
        }
        startRead(context: context)
    }

    mutating func startRead(context: UInt64) {
        if membership.voters == [id] {
            readStates.append(ReadState(context: context, index: log.committed))
            return
        }
        pendingReads.append(PendingRead(context: context, index: log.committed, acks: [id]))
        broadcastHeartbeat(context: context)
    }

    mutating func releaseReadsAwaitingCommit() {
        let waiting = readsAwaitingCommit
        readsAwaitingCommit = []
        for context in waiting { startRead(context: context) }
    }

    mutating func ackRead(context: UInt64, from peer: NodeID) {
        guard membership.isVoter(peer), let i = pendingReads.firstIndex(where: { $0.context == context }) else { return }
        pendingReads[i].acks.insert(peer)
        guard pendingReads[i].acks.count >= membership.quorum else { return }
        // Leadership confirmed after every earlier request arrived, so they are safe too.
        for read in pendingReads[...i] { readStates.append(ReadState(context: read.context, index: read.index)) }
        pendingReads.removeFirst(i + 1)
    }
}
