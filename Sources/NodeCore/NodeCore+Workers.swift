import RaftCore
import TaskQueue

extension NodeCore {
    /// Proposes a worker's report when leading; otherwise forwards it to the known leader.
    mutating func send(report command: Command) {
        if isLeader {
            try? propose(command, token: nil)
        } else if let leader = raft.leader, stalled == nil {
            output.forward.append((command, leader))
        }
    }

    /// Sends again the reports whose effect has not been seen applied for a while.
    mutating func resendReports() {
        guard !reports.isEmpty else { return }
        for task in reports.keys.sorted() {
            let r = reports[task]!
            guard ticks >= r.sentAt + config.reportResendTicks else { continue }
            reports[task]!.sentAt = ticks
            send(report: r.command)
        }
    }

    /// Forgets the reports the queue no longer waits for: applied, refused, or overtaken.
    mutating func settleReports() {
        guard !reports.isEmpty else { return }
        for (task, r) in reports where !awaits(r.command) { reports[task] = nil }
    }

    /// Whether applying `command` could still change its task: the fence it must pass.
    func awaits(_ command: Command) -> Bool {
        guard let task = command.task, let t = queue.task(task) else { return false }
        switch command {
        case let .start(_, node, epoch, _):
            return t.state == .assigned && t.node == node && t.epoch == epoch
        case let .complete(_, node, epoch, _, _), let .fail(_, node, epoch, _, _):
            return (t.state == .assigned || t.state == .running) && t.node == node && t.epoch == epoch
        default:
            return false
        }
    }
}
