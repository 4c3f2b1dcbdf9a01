import Synchronization

/// Whether the node is shutting down, and the writes still waiting for an outcome, so that a
/// shutdown answers them at once (503) instead of leaving them to time out.
final class ShutdownState: Sendable {
    private struct State {
        var draining = false
        var next: UInt64 = 0
        var waiters: [UInt64: @Sendable () -> Void] = [:]
    }
    private let state = Mutex(State())

    var draining: Bool { state.withLock { $0.draining } }

    /// Registers a waiter to be told about the shutdown; nil when it has already begun.
    func register(_ onShutdown: @escaping @Sendable () -> Void) -> UInt64? {
        state.withLock { s in
            guard !s.draining else { return nil }
            s.next += 1
            s.waiters[s.next] = onShutdown
            return s.next
        }
    }

    func unregister(_ id: UInt64) {
        _ = state.withLock { $0.waiters.removeValue(forKey: id) }
    }

    /// Starts the shutdown: every registered waiter is told, once.
    func begin() {
        let waiters = state.withLock { s -> [@Sendable () -> Void] in
            s.draining = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w() }
    }
}
