extension RaftNode {
    /// Starts an election: a pre-vote round first when enabled, unless the campaign was
    /// asked for by the leader (`TimeoutNow`).
    mutating func campaign(transfer: Bool) {
        guard isVoter else { return }
        if config.preVote && !transfer {
            becomePreCandidate()
        } else {
            becomeCandidate(transfer: transfer)
        }
    }

    mutating func becomePreCandidate() {
        // A pre-vote changes neither the term nor the vote: it only asks whether we could win.
        votes = [id: true]
        electionElapsed = 0
        resetRandomizedElectionTimeout()
        setRole(.preCandidate)
        setLeader(nil)
        if pollResult() == .won {
            becomeCandidate(transfer: false)
            return
        }
        for peer in membership.voters where peer != id {
            emit(peer, .preVote(lastIndex: log.lastIndex, lastTerm: log.lastTerm), term: term + 1)
        }
    }

    mutating func becomeCandidate(transfer: Bool) {
        reset(term: term + 1)
        vote = id
        votes = [id: true]
        setRole(.candidate)
        setLeader(nil)
        if pollResult() == .won {
            becomeLeader()
            return
        }
        for peer in membership.voters where peer != id {
            emit(peer, .vote(lastIndex: log.lastIndex, lastTerm: log.lastTerm, transfer: transfer))
        }
    }

    enum PollResult { case won, lost, pending }

    func pollResult() -> PollResult {
        let voters = membership.voters
        let granted = voters.filter { votes[$0] == true }.count
        let rejected = voters.filter { votes[$0] == false }.count
        if granted >= membership.quorum { return .won }
        if rejected > voters.count - membership.quorum { return .lost }
        return .pending
    }

    /// Whether we heard from a live leader within the election timeout. Inside the lease,
    /// a node ignores (pre-)votes from others, so a partitioned node that rejoins cannot
    /// depose a leader the rest of the cluster still follows.
    var inLease: Bool {
        config.checkQuorum && leader != nil && electionElapsed < config.electionTicks
    }

    mutating func handleVoteRequest(_ m: Message, lastIndex: UInt64, lastTerm: UInt64, preVote: Bool) {
        // We may grant if we voted for the sender already, have not voted and follow no
        // leader in this term, or — for a pre-vote — the sender asks about a future term.
        let canVote = vote == m.from
            || (vote == nil && leader == nil)
            || (preVote && m.term > term)
        let granted = canVote && log.isUpToDate(lastIndex: lastIndex, lastTerm: lastTerm)
        if preVote {
            // Answer with the term asked about when granting, so the sender counts it.
            emit(m.from, .preVoteResponse(granted: granted), term: granted ? m.term : term)
        } else {
            if granted {
                electionElapsed = 0
                vote = m.from
            }
            emit(m.from, .voteResponse(granted: granted))
        }
    }

    mutating func handleVoteResponse(_ m: Message, granted: Bool, preVote: Bool) {
        let expected: Role = preVote ? .preCandidate : .candidate
        guard role == expected, membership.isVoter(m.from) else { return }
        if votes[m.from] == nil { votes[m.from] = granted }
        switch pollResult() {
        case .won:
            if preVote { becomeCandidate(transfer: false) } else { becomeLeader() }
        case .lost:
            becomeFollower(term: term, leader: nil)
        case .pending:
            break
        }
    }
}
