import FlotillaAPI
import Foundation

/// How much recovery may do: nothing, say what it would do, or do it.
public enum RecoveryMode: String, Sendable, Codable, CaseIterable {
    case off, advise, auto
}

/// What recovery would do about a finding.
public enum RecoveryAction: Sendable, Equatable {
    /// Found the cluster with every local node as a voter.
    case bootstrap
    /// Start a node that died without an operator's kill.
    case restart(String)
    /// Replace a member that refused to start because its data is gone (`flotilla replace`).
    case replace(String)
}

/// One thing the analyzers noticed, with its reason and what (if anything) would fix it.
public struct RecoveryFinding: Sendable, Equatable {
    /// Stable across snapshots while the condition lasts; a new key is a new event.
    public var key: String
    public var node: String?
    public var message: String
    public var action: RecoveryAction?
}

/// Looks at each snapshot and says what is wrong: the analyzers of the control plane. Pure but
/// stateful (how long a condition has lasted); the `Recovery` actor acts on its findings.
public struct RecoveryAnalyzer: Sendable {
    /// No leader for longer than this while a quorum is up is reported (3 election timeouts).
    public var leaderlessAfter: Double
    /// A member down longer than this gets a replacement proposed; nil: never.
    public var replaceAfter: Double?

    var leaderlessSince: Date?
    var downSince: [String: Date] = [:]
    /// When the first snapshot came, and which nodes have answered since: nodes still starting
    /// are not reported dead.
    var firstSnapshotAt: Date?
    var everSeen = Set<String>()

    public init(electionMs: Int = 300, replaceAfter: Double? = nil) {
        // An election waits up to twice the base timeout.
        leaderlessAfter = 3 * 2 * Double(electionMs) / 1000
        self.replaceAfter = replaceAfter
    }

    public mutating func analyze(_ s: ClusterSnapshot, intents: OperatorIntents) -> [RecoveryFinding] {
        let now = s.takenAt
        var found: [RecoveryFinding] = []
        let started = firstSnapshotAt ?? now
        firstSnapshotAt = started
        for o in s.nodes where o.up { everSeen.insert(o.id) }
        let starting = now.timeIntervalSince(started) < leaderlessAfter
        if s.uninitialized, s.nodes.allSatisfy(\.up) {
            found.append(RecoveryFinding(key: "uninitialized", node: nil,
                                         message: "the cluster is uninitialized: no node has a membership; bootstrap it with every node as a voter",
                                         action: .bootstrap))
            return found
        }
        for o in s.nodes {
            if o.up { downSince[o.id] = nil } else if downSince[o.id] == nil { downSince[o.id] = now }
        }
        if s.leader == nil, s.hasQuorum {
            let since = leaderlessSince ?? now
            leaderlessSince = since
            let waited = now.timeIntervalSince(since)
            if waited > leaderlessAfter {
                let cut = s.live.filter { !$0.faults.drop.isEmpty }.map(\.id)
                let faults = cut.isEmpty ? "" : "; fault rules are set on \(cut.joined(separator: ", ")) (h heals)"
                found.append(RecoveryFinding(key: "no-leader", node: nil,
                                             message: String(format: "no leader for %.1fs although a quorum (%@) is up", waited, s.votersUp.joined(separator: ",")) + faults,
                                             action: nil))
            }
        } else {
            leaderlessSince = nil
        }
        let dead = s.voters.filter { !s.votersUp.contains($0) }
        // A process that runs but has never answered is still starting, for a while.
        let stillStarting = dead.contains { id in !everSeen.contains(id) && s.node(id)?.process != .stopped }
        if !s.voters.isEmpty, !s.hasQuorum, !(starting && stillStarting) {
            found.append(RecoveryFinding(key: "quorum-lost:\(dead.joined(separator: ","))", node: nil,
                                         message: "QUORUM LOST: \(s.votersUp.count) of \(s.voters.count) voters up (need \(s.quorum)); down: \(dead.joined(separator: ", "))",
                                         action: nil))
        }
        for o in s.nodes where o.process == .stopped && !intents.stopped.contains(o.id) {
            // A node whose data is gone refuses to start as the member it was: restarting it
            // again would only repeat that; it needs a replacement.
            if let reason = o.death?.reason, reason.contains("flotilla replace \(o.id)") {
                found.append(RecoveryFinding(key: "amnesia:\(o.id)", node: o.id,
                                             message: "\(o.id) lost its data and may not rejoin as it was; replace it (flotilla replace \(o.id))",
                                             action: .replace(o.id)))
                continue
            }
            found.append(RecoveryFinding(key: "died:\(o.id)", node: o.id,
                                         message: "\(o.id) died without an operator's kill\(o.death.map { " (\($0.reason))" } ?? ""); restart it",
                                         action: .restart(o.id)))
        }
        if let leader = s.leader {
            for id in s.learners {
                guard let st = s.node(id)?.live, st.applied < leader.commit else { continue }
                let percent = leader.commit == 0 ? 100 : Int(st.applied * 100 / leader.commit)
                found.append(RecoveryFinding(key: "learner:\(id):\(percent / 25)", node: id,
                                             message: "learner \(id) is catching up: applied \(st.applied) of \(leader.commit) (\(percent)%)",
                                             action: nil))
            }
        }
        if let replaceAfter {
            for (id, since) in downSince.sorted(by: { $0.key < $1.key })
            where now.timeIntervalSince(since) > replaceAfter && s.members.contains(where: { $0.id == id }) {
                found.append(RecoveryFinding(key: "replace:\(id)", node: id,
                                             message: "\(id) has been down for \(Int(now.timeIntervalSince(since)))s; replace it: flotilla replace \(id)",
                                             action: nil))
            }
        }
        return found
    }
}
