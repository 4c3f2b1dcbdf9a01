import FlotillaAPI

/// Watches a cluster for the whole of a chaos run: every snapshot goes to the invariant
/// monitor and the availability tracker; now and then the task table and the log hashes too.
actor ChaosSampler {
    let control: ClusterControl
    let monitor: MonitorRun
    private(set) var availability = AvailabilityTracker()
    /// When polls that saw an effective leader started and returned (the most recent ones).
    private var leaderPolls: [(started: ContinuousClock.Instant, returned: ContinuousClock.Instant)] = []
    private var task: Task<Void, Never>?
    private(set) var polls = 0

    init(control: ClusterControl, monitor: MonitorRun) {
        self.control = control
        self.monitor = monitor
    }

    func start() {
        guard task == nil else { return }
        task = Task {
            while !Task.isCancelled {
                await self.sample()
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func stop() async {
        task?.cancel()
        await task?.value
        task = nil
        availability.close(at: .now)
    }

    private func sample() async {
        let started = ContinuousClock.now
        let s = await control.client.poll()
        let at = ContinuousClock.now
        await monitor.observe(s)
        let leader = AvailabilityTracker.effectiveLeader(s)
        availability.observe(at: at, leader: leader)
        if leader {
            leaderPolls.append((started, at))
            if leaderPolls.count > 2_000 { leaderPolls.removeFirst(1_000) }
        }
        polls += 1
        if polls % 30 == 0 {
            await monitor.probeHashes(s)
            if let tasks = try? await control.allTasks() { await monitor.observeTasks(tasks) }
        }
    }

    /// When an effective leader was first seen at or after `t`: the start of the first poll
    /// that saw one and returned after `t` (a poll slowed by a paused node says nothing of the
    /// time it waited), but never before `t`.
    func firstLeader(atOrAfter t: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        leaderPolls.first { $0.returned >= t }.map { max($0.started, t) }
    }
}
