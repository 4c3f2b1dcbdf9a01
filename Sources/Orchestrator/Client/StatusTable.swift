import FlotillaAPI
import Foundation

/// Plain-text tables for the CLI (`-o table`).
public enum TextTable {
    /// Left-aligned columns separated by two spaces.
    public static func render(_ header: [String], _ rows: [[String]]) -> String {
        lines(header, rows).joined(separator: "\n")
    }

    /// The table's lines, trailing blanks removed. Plain Swift (no Foundation padding): the
    /// console draws one every frame.
    public static func lines(_ header: [String], _ rows: [[String]]) -> [String] {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return all.map { row in
            var line = ""
            for (i, cell) in row.enumerated() {
                if i > 0 { line += "  " }
                line += cell
                if i < widths.count, i < row.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count) }
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}

extension ClusterSnapshot {
    /// The tasks column's title, with its legend: the node's tasks queued / running / done / failed.
    public static let tasksHeader = "TASKS q/r/d/f"

    /// One row per node: ID, ADDRESS, ROLE, TERM, LEADER, COMMIT, APPLIED, LAG, STATUS, TASKS, UPTIME.
    public func table() -> String {
        let header = ["ID", "ADDRESS", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LAG", "STATUS", Self.tasksHeader, "UPTIME"]
        let leader = leader
        return TextTable.render(header, nodes.map { row($0, leader: leader) })
    }

    public func row(_ o: NodeObservation) -> [String] { row(o, leader: leader) }

    /// What the table cannot hold: the cut links (`cut: n1<->n2 n1<->n3`), why a node died, why
    /// a founder has not founded yet (founders started with different `--peers`), a node's storage problem, and its disk, clock and link faults (`n1 faults: clock 3x, ->n2 delay 100ms±20 loss 10%`), one line each.
    public func notes() -> [String] {
        [FaultLedger.cutSummary(self)].compactMap { $0 } + nodes.flatMap { o -> [String] in
            if let death = o.death { return ["\(o.id) died: \(death.reason)"] }
            return [o.live?.founding.map { "\(o.id): \($0)" },
                    o.live?.storageError.map { "\(o.id) storage: \($0)" },
                    o.live?.faults.summary.map { "\(o.id) faults: \($0)" }].compactMap { $0 }
        }
    }

    /// The table, then its notes.
    public func report() -> String {
        ([table()] + (notes().isEmpty ? [] : [""] + notes())).joined(separator: "\n")
    }

    /// The row, with the leader found once by the caller (a table of many nodes).
    public func row(_ o: NodeObservation, leader: NodeStatus?) -> [String] {
        guard let s = o.live else {
            let seen = o.staleness(at: takenAt).map { "last seen \(formatAge($0)) ago" } ?? "not answering"
            let what = o.process == .paused ? "paused" : o.death != nil ? "died" : o.process == .stopped ? "stopped" : "down"
            return [o.id, o.adminAddress, "-", o.status.map { "\($0.term)" } ?? "-", "-", "-", "-", "-", "\(what), \(seen)", "-", "-"]
        }
        // A follower polled after the leader can have committed past the leader's polled commit:
        // that is the samples' timing, not a lag of 0, and says so (`newer`).
        let lag = s.role == .leader && (leader == nil || leader?.id == s.id) ? "-"
            : leader.map { s.commit > $0.commit } == true ? "newer"
            : String((leader?.commit ?? s.commit) > s.applied ? (leader?.commit ?? s.commit) - s.applied : 0)
        let running = s.tasks.byState[.running, default: 0] + s.tasks.byState[.assigned, default: 0]
        let done = s.tasks.byState[.succeeded, default: 0]
        let failed = s.tasks.byState[.failed, default: 0]
        return [s.id, s.adminAddress, s.role.rawValue, "\(s.term)", s.leader ?? "-", "\(s.commit)", "\(s.applied)", lag,
                health(of: s, leader: leader), "\(s.tasks.queued)/\(running)/\(done)/\(failed)", formatUptime(s.uptimeMs)]
    }

    /// healthy / catching-up / unreachable as the leader sees the node, or why that is unknown.
    public func health(of s: NodeStatus) -> String { health(of: s, leader: leader) }

    func health(of s: NodeStatus, leader: NodeStatus?) -> String {
        if s.storageError != nil { return "storage-error" }
        if s.members.isEmpty { return "uninitialized" }
        if s.role == .leader, leader == nil || leader?.id == s.id { return "healthy" }
        guard let leader else { return "no-leader" }
        guard let peer = leader.peers.first(where: { $0.id == s.id }) else { return "not-a-member" }
        if peer.progress == "snapshot", let sent = peer.snapshotSent, let total = peer.snapshotTotal, total > 0 {
            return "snapshot \(sent * 100 / total)%"
        }
        return peer.status
    }
}

/// 42s, 3m05s, 2h10m.
public func formatUptime(_ ms: UInt64) -> String {
    let s = ms / 1000
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(s % 60)s" }
    return "\(s / 3600)h\((s % 3600) / 60)m"
}

/// 0.4s, 12s, 3m.
public func formatAge(_ seconds: Double) -> String {
    if seconds < 10 {
        let tenths = Int((max(0, seconds) * 10).rounded())
        return tenths >= 100 ? "10s" : "\(tenths / 10).\(tenths % 10)s"
    }
    if seconds < 120 { return "\(Int(seconds))s" }
    return "\(Int(seconds) / 60)m"
}
