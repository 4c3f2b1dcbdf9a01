import DequeModule
import FlotillaAPI
import Synchronization

/// The node's recent events, kept for `/v1/events` and fanned out to its subscribers.
final class EventLog: Sendable {
    private struct State {
        var seq: UInt64 = 0
        /// The newest `capacity` events: a deque, so dropping the oldest costs nothing (an
        /// array moved every kept event once per new one, a quarter of a restart's replay).
        var recent = Deque<NodeEvent>()
        var subscribers: [Int: AsyncStream<NodeEvent>.Continuation] = [:]
        var nextSubscriber = 0
    }

    private let state = Mutex(State())
    private let capacity: Int
    let node: String
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant

    init(node: String, capacity: Int = 1000) {
        self.node = node
        self.capacity = capacity
        self.started = clock.now
    }

    var uptimeMs: UInt64 {
        ageMs(clock.now - started)
    }

    func record(_ kind: String, term: UInt64, _ message: String) {
        let at = uptimeMs
        let (event, subscribers) = state.withLock { s -> (NodeEvent, [AsyncStream<NodeEvent>.Continuation]) in
            s.seq += 1
            let e = NodeEvent(seq: s.seq, atMs: at, node: node, kind: kind, term: term, message: message)
            s.recent.append(e)
            if s.recent.count > capacity { s.recent.removeFirst() }
            return (e, Array(s.subscribers.values))
        }
        for c in subscribers { c.yield(event) }
    }

    func recentEvents(after seq: UInt64 = 0) -> [NodeEvent] {
        state.withLock { s in s.recent.filter { $0.seq > seq } }
    }

    /// A stream of events from now on; it ends when the consumer stops listening.
    func subscribe() -> AsyncStream<NodeEvent> {
        let (stream, continuation) = AsyncStream<NodeEvent>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        let id = state.withLock { s -> Int in
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = continuation
            return s.nextSubscriber
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func finishAll() {
        let subs = state.withLock { s -> [AsyncStream<NodeEvent>.Continuation] in
            defer { s.subscribers = [:] }
            return Array(s.subscribers.values)
        }
        for c in subs { c.finish() }
    }
}
