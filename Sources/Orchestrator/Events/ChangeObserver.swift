import FlotillaAPI
import Foundation

/// Turns consecutive snapshots into the changes an operator wants to read: elections (and how
/// long they took), a lost leader, term changes, nodes going down, dying (and why) and coming back, membership
/// changes and joins asking for approval.
public struct ChangeObserver: Sendable {
    var previous: ClusterSnapshot?

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
            out.append(ControlEvent(.observed, node: old.id, "leader \(old.id) lost; no leader", ok: false, at: at, category: "leader-lost"))
        case let (old, new?) where old?.id != new.id || old?.term != new.term:
            // Measured by the new leader's own clock: from the last it heard of the old leader to
            // taking over. The snapshots' spacing says nothing about it.
            let took: String, ms: Int?
            if let e = new.electionMs {
                (took, ms) = (String(format: " (%.2f s)", Double(e) / 1000), Int(e))
            } else if let led = new.leaderForMs, new.leaderContactAgeMs == nil, new.uptimeMs >= led {
                (took, ms) = (String(format: " (first leader, %.2f s after its start)", Double(new.uptimeMs - led) / 1000), nil)
            } else {
                (took, ms) = ("", nil)
            }
            out.append(ControlEvent(.observed, node: new.id, "\(new.id) elected leader, term \(new.term)\(took)", at: at,
                                    category: "election", durationMs: ms))
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
