import FlotillaAPI
import Foundation

/// Turns consecutive snapshots into the changes an operator wants to read: elections (and how
/// long they took), a lost leader, term changes, nodes going down, dying (and why) and coming back, membership
/// changes and joins asking for approval.
public struct ChangeObserver: Sendable {
    var previous: ClusterSnapshot?
    /// When the cluster was last seen without its leader.
    var leaderLostAt: Date?

    public init() {}

    public mutating func observe(_ s: ClusterSnapshot) -> [ControlEvent] {
        defer { previous = s }
        guard let p = previous else {
            if let l = s.leader { return [ControlEvent(.observed, node: l.id, "\(l.id) leads, term \(l.term)", at: s.takenAt, category: "leader")] }
            return []
        }
        var out: [ControlEvent] = []
        let at = s.takenAt
        for o in s.nodes {
            let before = p.node(o.id)
            if before?.up == true, !o.up {
                out.append(ControlEvent(.observed, node: o.id, "\(o.id) is \(o.process == .paused ? "paused" : "down") (not answering)", ok: false, at: at,
                                        category: "node-down"))
            } else if before?.up == false, o.up {
                out.append(ControlEvent(.observed, node: o.id, "\(o.id) is up", at: at, category: "node-up"))
            }
            // The process's end is read from its log, often a round after the node stopped answering.
            if let death = o.death, death != before?.death {
                out.append(ControlEvent(.observed, node: o.id, "\(o.id) died: \(death.reason)", ok: false, at: at, category: "node-died"))
            }
        }
        switch (p.leader, s.leader) {
        case let (old?, nil):
            leaderLostAt = leaderLostAt ?? at
            out.append(ControlEvent(.observed, node: old.id, "leader \(old.id) lost; no leader", ok: false, at: at, category: "leader-lost"))
        case let (old, new?) where old?.id != new.id || old?.term != new.term:
            let took = (leaderLostAt ?? p.takenAt).distance(to: at)
            out.append(ControlEvent(.observed, node: new.id, String(format: "%@ elected leader, term %llu (%.2f s)", new.id, new.term, took), at: at,
                                    category: "election", durationMs: Int(took * 1000)))
            leaderLostAt = nil
        default:
            break
        }
        let oldTerm = p.live.map(\.term).max() ?? 0, newTerm = s.live.map(\.term).max() ?? 0
        if newTerm > oldTerm, oldTerm > 0, s.leader?.term != newTerm {
            out.append(ControlEvent(.observed, "term \(newTerm) (was \(oldTerm))", at: at, category: "term"))
        }
        let members = { (x: ClusterSnapshot) in x.members.map { "\($0.id)\($0.voter ? "" : "(learner)")" }.joined(separator: ",") }
        if !p.members.isEmpty, !s.members.isEmpty, members(p) != members(s) {
            out.append(ControlEvent(.observed, "members: \(members(s))", at: at, category: "membership"))
        }
        for j in s.pending where !p.pending.contains(where: { $0.id == j.id }) {
            out.append(ControlEvent(.observed, node: j.id, "\(j.id) asks to join (a approves)", at: at, category: "join"))
        }
        return out
    }
}
