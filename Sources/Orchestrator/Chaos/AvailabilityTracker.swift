import FlotillaAPI

/// The longest stretch a chaos run saw without an effective leader (one that answers and
/// hears from a quorum), from the first leader seen on. Pure: it is fed times and verdicts.
public struct AvailabilityTracker: Sendable, Equatable {
    private var downSince: ContinuousClock.Instant?
    private var seenLeader = false
    /// The longest stretch without an effective leader so far.
    public private(set) var maxUnavailable: Duration = .zero

    public init() {}

    /// One observation: whether there was an effective leader at `at`.
    public mutating func observe(at: ContinuousClock.Instant, leader: Bool) {
        if leader {
            seenLeader = true
            close(at: at)
        } else if seenLeader, downSince == nil {
            downSince = at
        }
    }

    /// Ends an open stretch at `at` (the end of the run counts as its end).
    public mutating func close(at: ContinuousClock.Instant) {
        if let since = downSince {
            maxUnavailable = max(maxUnavailable, at - since)
            downSince = nil
        }
    }

    /// `maxUnavailable` in whole milliseconds, as the report prints it.
    public var maxUnavailableMs: Int {
        maxUnavailable.milliseconds
    }

    /// A leader that answers, leads the highest term seen, and hears from enough voters to commit.
    public static func effectiveLeader(_ s: ClusterSnapshot) -> Bool {
        guard let l = s.leader else { return false }
        if let top = s.live.map(\.term).max(), l.term < top { return false }
        let voters = Set(l.members.filter(\.voter).map(\.id))
        guard voters.contains(l.id) else { return false }
        let reachable = l.peers.filter { voters.contains($0.id) && $0.status != "unreachable" }.count
        return 1 + reachable >= voters.count / 2 + 1
    }
}
