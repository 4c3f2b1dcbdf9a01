import NIOCore
import Synchronization

/// Pushes a tick into the driver's inbox every tick interval (scaled by a skewed clock's rate,
/// read afresh for each tick), from a timer on the driver's own ticker thread.
final class RaftTicker: Sendable {
    private struct State {
        var stopped = false
        var next: Scheduled<Void>?
    }

    private let loop: any EventLoop
    private let interval: @Sendable () -> TimeAmount
    private let tick: @Sendable () -> Void
    private let state = Mutex(State())

    init(loop: any EventLoop, interval: @escaping @Sendable () -> TimeAmount, tick: @escaping @Sendable () -> Void) {
        self.loop = loop
        self.interval = interval
        self.tick = tick
    }

    func start() {
        let next = loop.scheduleTask(in: interval()) { [self] in
            tick()
            start()
        }
        let stopped = state.withLock { s in
            if !s.stopped { s.next = next }
            return s.stopped
        }
        if stopped { next.cancel() }
    }

    func stop() {
        let next = state.withLock { s in
            s.stopped = true
            defer { s.next = nil }
            return s.next
        }
        next?.cancel()
    }
}
