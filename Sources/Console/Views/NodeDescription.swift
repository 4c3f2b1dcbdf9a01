import FlotillaAPI
import Foundation
import Orchestrator

/// What Enter on a node row shows: the node's own indexes and vote, the leader's view of its
/// replication (every peer's when it leads), its faults, why it ended, and the tail of its log.
enum NodeDescription {
    static func title(_ id: String, _ m: ConsoleModel) -> String {
        // A recording holds no node log: nothing follows in playback.
        "\(id) (Esc returns\(m.overlayFollows && m.playback == nil ? ", log follows" : ""))"
    }

    static func lines(_ id: String, _ m: ConsoleModel) -> [String] {
        let s = m.snapshot
        guard let o = s.node(id) else { return ["\(id) is no longer in the cluster."] }
        var out: [String] = []
        let st = o.status
        let answer = o.live != nil ? "answers" : o.staleness(at: s.takenAt).map { "last answered \(formatAge($0)) ago" } ?? "never answered"
        out.append("address   \(o.adminAddress) (\(answer))")
        if let st {
            out.append("role      \(st.role.rawValue), term \(st.term)" + (st.leader.map { ", leader \($0)" } ?? ""))
            out.append("vote      \(st.vote ?? "none") in term \(st.term)")
            out.append("indexes   last \(ConsoleView.grouped(st.lastIndex)) · commit \(ConsoleView.grouped(st.commit)) · applied \(ConsoleView.grouped(st.applied)) · snapshot \(ConsoleView.grouped(st.snapshotIndex))")
            if let inc = st.incarnation { out.append("incarn.   \(inc)") }
            out.append("uptime    \(formatUptime(st.uptimeMs))")
        }
        out += ["", "Replication (the leader's view):"]
        if let leader = s.leader {
            let peers = leader.id == id ? leader.peers : leader.peers.filter { $0.id == id }
            if peers.isEmpty {
                out.append("  \(leader.id) leads and does not replicate to \(id)")
            } else {
                let rows = peers.map { p in
                    [p.id, ConsoleView.grouped(p.match), ConsoleView.grouped(p.next), p.progress, p.status, formatAge(Double(p.lastContactMs) / 1000) + " ago"]
                }
                out += TextTable.lines(["PEER", "MATCH", "NEXT", "PROGRESS", "STATUS", "CONTACT"], rows).map { "  " + $0 }
                if leader.id != id { out.append("  (as \(leader.id), the leader in term \(leader.term), last heard it)") }
            }
        } else {
            out.append("  no leader answers: nobody replicates")
        }
        let faults = FaultLedger.entries(s, events: m.events).filter { e in
            e.target == "all" || e.target.split(whereSeparator: { "<->, ".contains($0) }).contains { $0 == id }
        }
        out += ["", "Faults:"] + (faults.isEmpty ? ["  none"] : faults.map { "  " + FaultList.line($0) })
        if let exit = o.exit, o.process == .stopped {
            out += ["", "Exit:", "  \(exit.byOperator ? "stopped" : "died"): \(exit.reason)"]
        }
        if m.playback != nil {
            out += ["", "Log:", "  (a recording holds no node log; the events panel has what was observed)"]
            return out
        }
        let source = m.local ? "node.log" : "its own events, GET /v1/events/recent"
        out += ["", "Log (\(source), newest last):"] + (m.nodeLog.isEmpty ? ["  (nothing yet)"] : m.nodeLog)
        return out
    }
}
