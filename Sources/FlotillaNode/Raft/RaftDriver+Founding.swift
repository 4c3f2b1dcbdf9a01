import Logging
import NodeCore
import RaftCore

extension RaftDriver {
    /// The founder check to run, while this node still waits for its answer.
    var pendingFounderCheck: FounderCheck? { founding }

    /// Acts on what asking the other founders decided (`FounderService`).
    func decideFounding(_ decision: FounderCheck.Decision) {
        guard founding != nil else { return }
        switch decision {
        case .wait:
            // The founder that differed is back with the same --peers (or not heard from again).
            noteFoundingConflict(nil)
            return
        case .conflict(let reason):
            noteFoundingConflict(reason)
            return
        case .found(let membership):
            do {
                try core.bootstrap(membership)
            } catch {
                hooks.fatal("cannot found the cluster: \(error)")
                return
            }
            founding = nil
            logger.notice("every founder is empty: founded the cluster with voters \(membership.voters.joined(separator: ","))")
            events.record("membership", term: core.raft.term, "founded the cluster: voters \(membership.voters.joined(separator: ","))")
        case .awaitLeader:
            founding = nil
            logger.notice("the cluster exists and knows \(config.id) as this incarnation: waiting for the leader to send the log")
            events.record("membership", term: core.raft.term, "the cluster exists already; waiting for the leader to send the log")
        case .awaitFounder(let first):
            founding = nil
            logger.notice("every founder is empty; \(first), the first founder, writes the founding membership: waiting for its log")
            events.record("membership", term: core.raft.term, "every founder is empty; waiting for \(first)'s founding membership")
        case .refuse(let reason):
            logger.critical("refusing to take part: \(reason)")
            events.record("membership", term: core.raft.term, "refused to take part: \(reason)")
            hooks.fatal(reason)
            return
        }
        foundingConflict = nil
        updatePeers()
        publish()
    }

    /// Records a change of why the founders cannot found together (nil: they agree again) in
    /// the log, the events and the status; the same reason twice is said once.
    func noteFoundingConflict(_ reason: String?) {
        guard reason != foundingConflict else { return }
        let was = foundingConflict
        foundingConflict = reason
        if let reason {
            logger.error("not founding: \(reason)")
            events.record("membership", term: core.raft.term, "not founding: \(reason)")
        } else {
            logger.notice("the founders heard so far agree on --peers now (was: \(was ?? "")); waiting to hear every founder")
            events.record("membership", term: core.raft.term, "the founders agree on --peers again; waiting to hear every founder")
        }
        publish()
    }
}
