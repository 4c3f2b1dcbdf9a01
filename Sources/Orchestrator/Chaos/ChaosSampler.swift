import FlotillaAPI

/// Reads a chaos run's session ticks: each snapshot (the session's monitor has judged it)
/// goes to the availability tracker, and the looks that saw an effective leader are kept to time
/// the leader's return after each heal.
actor ChaosSampler {
    let session: ClusterSession
    private(set) var availability = AvailabilityTracker()
    /// When looks that saw an effective leader started and returned (the most recent ones).
    private var leaderPolls: [(started: ContinuousClock.Instant, returned: ContinuousClock.Instant)] = []
    private var task: Task<Void, Never>?
    private(set) var polls = 0

    init(session: ClusterSession) { self.session = session }

    func start() {
        guard task == nil else { return }
        let ticks = session.ticks()
        task = Task {
            for await tick in ticks { self.take(tick) }
        }
    }

    func stop() async {
        task?.cancel()
        await task?.value
        task = nil
        availability.close(at: .now)
    }

    private func take(_ tick: SessionTick) {
        let leader = AvailabilityTracker.effectiveLeader(tick.snapshot)
        availability.observe(at: tick.returnedAt, leader: leader)
        if leader {
            leaderPolls.append((tick.polledAt, tick.returnedAt))
            if leaderPolls.count > 2_000 { leaderPolls.removeFirst(1_000) }
        }
        polls += 1
    }

    /// When an effective leader was first seen at or after `t`: the start of the first look
    /// that saw one and returned after `t` (a look slowed by a paused node says nothing of the
    /// time it waited), but never before `t`.
    func firstLeader(atOrAfter t: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        leaderPolls.first { $0.returned >= t }.map { max($0.started, t) }
    }
}
