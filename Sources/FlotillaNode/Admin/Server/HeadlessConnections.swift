import NIOCore
import Synchronization

/// The admin connections that have not sent a request head yet, in the order they came. When
/// the admin server is full, the oldest of them is closed to make room for the next one: a
/// flood of clients that connect and say nothing then costs them their own connections, not
/// the operator's `status`, whose request head follows its connect at once.
final class HeadlessConnections: Sendable {
    private struct State {
        var next: UInt64 = 0
        var waiting: [ObjectIdentifier: (order: UInt64, channel: any Channel)] = [:]
    }

    private let state = Mutex(State())
    private let onEvict: @Sendable () -> Void

    init(onEvict: @escaping @Sendable () -> Void = {}) { self.onEvict = onEvict }

    func opened(_ channel: any Channel) {
        state.withLock { s in
            s.next += 1
            s.waiting[ObjectIdentifier(channel)] = (s.next, channel)
        }
    }

    /// The connection sent its request head, or closed: it no longer waits.
    func settled(_ channel: any Channel) {
        _ = state.withLock { $0.waiting.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { state.withLock { $0.waiting.count } }

    /// Closes the oldest connection still without a request head; false when there is none.
    @discardableResult
    func closeOldest() -> Bool {
        let oldest = state.withLock { s -> (any Channel)? in
            guard let key = s.waiting.min(by: { $0.value.order < $1.value.order })?.key else { return nil }
            return s.waiting.removeValue(forKey: key)?.channel
        }
        guard let oldest else { return false }
        onEvict()
        oldest.close(promise: nil)
        return true
    }
}
