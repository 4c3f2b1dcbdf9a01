import FlotillaAPI
import Foundation
import Orchestrator

/// The header's rate: entries the leader committed per second, from the leader's commit index
/// in two snapshots and the times those indexes were heard (the leader's answer, not when the
/// round finished, so a slow peer in the round does not bend it).
struct CommitRate {
    var last: (commit: UInt64, at: Date)?

    /// The rate since the last sample, or nil when this snapshot brings no newer sample of the
    /// leader's commit (no leader, or its answer is the one already counted).
    mutating func sample(_ s: ClusterSnapshot) -> Double? {
        guard let leader = s.leader else { return nil }
        let at = s.node(leader.id)?.lastSeen ?? s.takenAt
        defer { if last.map({ at > $0.at }) ?? true { last = (leader.commit, at) } }
        guard let (commit, before) = last, at > before else { return nil }
        return Double(leader.commit >= commit ? leader.commit - commit : 0) / at.timeIntervalSince(before)
    }
}
