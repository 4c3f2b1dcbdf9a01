import FlotillaAPI
import Foundation

/// Plain-text tables for the CLI (`-o table`).
public enum TextTable {
    /// Left-aligned columns separated by two spaces.
    public static func render(_ header: [String], _ rows: [[String]]) -> String {
        let lines = [header] + rows
        let widths = header.indices.map { i in lines.map { $0.indices.contains(i) ? $0[i].count : 0 }.max() ?? 0 }
        return lines.map { row in
            row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

extension ClusterSnapshot {
    /// One row per node: ID, ADDRESS, ROLE, TERM, LEADER, COMMIT, APPLIED, LAG, STATUS, TASKS, UPTIME.
    public func table() -> String {
        let header = ["ID", "ADDRESS", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LAG", "STATUS", "TASKS", "UPTIME"]
        return TextTable.render(header, nodes.map(row))
    }

    public func row(_ o: NodeObservation) -> [String] {
        guard let s = o.live else {
            let seen = o.staleness(at: takenAt).map { "last seen \(formatAge($0)) ago" } ?? "not answering"
            let what = o.process == .paused ? "paused" : o.process == .stopped ? "stopped" : "down"
            return [o.id, o.adminAddress, "-", o.status.map { "\($0.term)" } ?? "-", "-", "-", "-", "-", "\(what), \(seen)", "-", "-"]
        }
        let leader = leader
        let lag = s.role == "leader" ? "-" : String((leader?.commit ?? s.commit) > s.applied ? (leader?.commit ?? s.commit) - s.applied : 0)
        let running = s.tasks.byState["running", default: 0] + s.tasks.byState["assigned", default: 0]
        let done = s.tasks.byState["succeeded", default: 0]
        return [s.id, s.adminAddress, s.role, "\(s.term)", s.leader ?? "-", "\(s.commit)", "\(s.applied)", lag,
                health(of: s), "\(s.tasks.queued)/\(running)/\(done)", formatUptime(s.uptimeMs)]
    }

    /// healthy / catching-up / unreachable as the leader sees the node, or why that is unknown.
    public func health(of s: NodeStatus) -> String {
        if s.members.isEmpty { return "uninitialized" }
        if s.role == "leader" { return "healthy" }
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
    if seconds < 10 { return String(format: "%.1fs", seconds) }
    if seconds < 120 { return "\(Int(seconds))s" }
    return "\(Int(seconds) / 60)m"
}
