extension RaftNode {
    /// Feeds one message from a peer into the node.
    public mutating func step(_ m: Message) {
        guard m.to == id, m.from != id else { return }
        if m.term > term {
            switch m.body {
            case .preVote, .vote(_, _, false):
                if inLease { return }
            default:
                break
            }
            switch m.body {
            case .preVote:
                break  // a pre-vote never moves our term
            case .preVoteResponse(true):
                break  // granted pre-votes carry the future term we asked about
            default:
                becomeFollower(term: m.term, leader: m.isFromLeader ? m.from : nil)
            }
        } else if m.term < term {
            switch m.body {
            case .append, .heartbeat:
                // A stale leader: tell it our term so it steps down. Without this, a leader
                // cut off and healed could stay stuck, since pre-vote keeps our term from rising.
                if config.checkQuorum || config.preVote {
                    emit(m.from, .appendResponse(success: false, index: 0, hintIndex: 0, hintTerm: 0))
                }
            case .preVote:
                emit(m.from, .preVoteResponse(granted: false))
            default:
                break
            }
            return
        }

        switch m.body {
        case .preVote(let lastIndex, let lastTerm):
            handleVoteRequest(m, lastIndex: lastIndex, lastTerm: lastTerm, preVote: true)
            return
        case .vote(let lastIndex, let lastTerm, _):
            handleVoteRequest(m, lastIndex: lastIndex, lastTerm: lastTerm, preVote: false)
            return
        default:
            break
        }

        switch role {
        case .leader: stepLeader(m)
        case .follower: stepFollower(m)
        case .preCandidate, .candidate: stepCandidate(m)
        }
    }

    mutating func stepFollower(_ m: Message) {
        switch m.body {
        case .append, .heartbeat, .snapshot:
            electionElapsed = 0
            setLeader(m.from)
            handleLeaderMessage(m)
        case .timeoutNow:
            // The leader asks us to take over: campaign now, skipping the pre-vote.
            if isVoter { campaign(transfer: true) }
        default:
            break
        }
    }

    mutating func stepCandidate(_ m: Message) {
        switch m.body {
        case .append, .heartbeat, .snapshot:
            // Someone won this term.
            becomeFollower(term: m.term, leader: m.from)
            handleLeaderMessage(m)
        case .preVoteResponse(let granted):
            handleVoteResponse(m, granted: granted, preVote: true)
        case .voteResponse(let granted):
            handleVoteResponse(m, granted: granted, preVote: false)
        default:
            break
        }
    }

    mutating func handleLeaderMessage(_ m: Message) {
        switch m.body {
        case let .append(prevIndex, prevTerm, entries, commit):
            handleAppend(from: m.from, prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit)
        case let .heartbeat(commit, context):
            if commit > log.committed, commit <= log.lastIndex { _ = log.commit(to: commit) }
            emit(m.from, .heartbeatResponse(context: context))
        case let .snapshot(metadata, offset, totalSize, chunk):
            handleSnapshotChunk(from: m.from, metadata: metadata, offset: offset, totalSize: totalSize, chunk: chunk)
        default:
            break
        }
    }

    mutating func handleAppend(from leader: NodeID, prevIndex: UInt64, prevTerm: UInt64, entries: [Entry], commit: UInt64) {
        if prevIndex < log.committed {
            // Everything up to our commit index is settled; tell the leader where we are.
            emit(leader, .appendResponse(success: true, index: log.committed, hintIndex: 0, hintTerm: 0))
            return
        }
        switch log.maybeAppend(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries) {
        case .appended(let lastNew):
            _ = log.commit(to: min(commit, lastNew))
            emit(leader, .appendResponse(success: true, index: lastNew, hintIndex: 0, hintTerm: 0))
        case .mismatch:
            let hintIndex = log.findConflict(byTerm: prevTerm, atOrBelow: min(prevIndex, log.lastIndex))
            let hintTerm = log.term(at: hintIndex) ?? 0
            emit(leader, .appendResponse(success: false, index: prevIndex, hintIndex: hintIndex, hintTerm: hintTerm))
        case .hashMismatch(let index):
            violation("entry \(index) from leader \(leader) does not chain onto the local log hash")
        case .conflictsWithCommitted(let index):
            violation("leader \(leader) tried to overwrite committed entry \(index) (commit \(log.committed))")
        }
    }
}
