import NIOCore
import Synchronization

/// The admin connections that have not sent a request head yet, in the order they came. While
/// the admin server is full, the oldest of them that has waited `grace` is closed to make room
/// for the next one: a flood of clients that connect and say nothing then costs them their own
/// connections, not the operator's `status`. The grace spares a connection whose request head
/// is already on its way (or in its socket, not yet read) when a burst of accepts fills the server.
final class HeadlessConnections: Sendable {
    private struct Waiting {
        var order: UInt64
        var since: NIODeadline
        var channel: any Channel
    }

    private struct State {
        var next: UInt64 = 0
        var waiting: [ObjectIdentifier: Waiting] = [:]
        /// The server is full: make room as connections age past the grace.
        var full = false
        var recheck = false
    }

    private let state = Mutex(State())
    private let grace: TimeAmount
    private let onEvict: @Sendable () -> Void

    init(grace: TimeAmount = .milliseconds(250), onEvict: @escaping @Sendable () -> Void = {}) {
        self.grace = grace
        self.onEvict = onEvict
    }

    func opened(_ channel: any Channel) {
        state.withLock { s in
            s.next += 1
            s.waiting[ObjectIdentifier(channel)] = Waiting(order: s.next, since: .now(), channel: channel)
        }
    }

    /// The connection sent its request head, or closed: it no longer waits.
    func settled(_ channel: any Channel) {
        _ = state.withLock { $0.waiting.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Whether the server is full; while it is, room is made (now, or once the oldest silent
    /// connection has waited the grace).
    func serverIsFull(_ full: Bool) {
        state.withLock { $0.full = full }
        if full { makeRoom() }
    }

    /// Closes the oldest silent connection if it has waited the grace; else checks again when
    /// it will have, if the server is still full then.
    private func makeRoom() {
        enum Step { case close(any Channel), later(any Channel, NIODeadline), nothing }
        let now = NIODeadline.now()
        let step = state.withLock { s -> Step in
            guard s.full, let (key, oldest) = s.waiting.min(by: { $0.value.order < $1.value.order }) else { return .nothing }
            if now - oldest.since >= grace {
                s.waiting[key] = nil
                return .close(oldest.channel)
            }
            guard !s.recheck else { return .nothing }
            s.recheck = true
            return .later(oldest.channel, oldest.since + grace)
        }
        switch step {
        case .close(let channel):
            onEvict()
            channel.close(promise: nil)
        case .later(let channel, let when):
            channel.eventLoop.scheduleTask(deadline: when) { [self] in
                state.withLock { $0.recheck = false }
                makeRoom()
            }
        case .nothing:
            break
        }
    }
}
