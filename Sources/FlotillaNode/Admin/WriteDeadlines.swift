import DequeModule
import Synchronization

/// When each waiting write gives up. One sweeper serves every write, so a write costs a queue
/// entry instead of a sleeping task with a timer of its own (which, at thousands of writes a
/// second, was a large share of the leader's CPU). Every write waits equally long, so the queue
/// is in deadline order. Expiry does not go through the driver: a driver held up in a slow
/// fsync still lets its writes answer "unknown" on time.
final class WriteDeadlines: Sendable {
    typealias Expiry = @Sendable () -> Void
    let timeout: Duration
    private let pending = Mutex(Deque<(deadline: ContinuousClock.Instant, expire: Expiry)>())
    private let sweeper = Mutex<Task<Void, Never>?>(nil)

    init(timeout: Duration) {
        self.timeout = timeout
    }

    deinit { sweeper.withLock { $0?.cancel() } }

    /// `expire` runs once `timeout` has passed (within a few milliseconds), unless the
    /// sweeper was stopped; a write already answered makes it a no-op.
    func add(_ expire: @escaping Expiry) {
        let deadline = ContinuousClock.now + timeout
        pending.withLock { $0.append((deadline, expire)) }
        sweeper.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self] in
                while !Task.isCancelled, let pause = self?.expireDue() {
                    try? await Task.sleep(for: pause)
                }
            }
        }
    }

    func stop() { sweeper.withLock { $0?.cancel() } }

    /// Runs the expiries that are due; returns how long to sleep before the next one.
    private func expireDue() -> Duration {
        let now = ContinuousClock.now
        var due: [Expiry] = []
        let next = pending.withLock { q -> ContinuousClock.Instant? in
            while let first = q.first, first.deadline <= now { due.append(q.removeFirst().expire) }
            return q.first?.deadline
        }
        for e in due { e() }
        let floor = Duration.milliseconds(2)
        guard let next else { return max(timeout, floor) }
        return max(next - now, floor)
    }
}
