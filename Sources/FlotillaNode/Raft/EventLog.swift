import DequeModule
import FlotillaAPI
import NIOCore
import Synchronization

/// The node's recent events, kept for `/v1/events` and read by its event streams.
///
/// Each event is encoded at most once, as its server-sent-event frame, by the first stream that
/// sends it (not when it is recorded: the driver records one per applied submit on the Raft loop,
/// and with no stream open the frames were 2.4 us of every write's CPU under `bench write`); every
/// stream reads the same frames from this one ring by position, so a stream costs no buffer of
/// its own and the driver does no per-stream work beyond waking streams that wait. A stream
/// that falls more than its allowed lag behind the newest event is told so (`StreamRead.behind`)
/// and ends (see `EventRoutes`).
final class EventLog: Sendable {
    private struct Entry {
        var event: NodeEvent
        /// Built by the first stream that sends this event.
        var frame: ByteBuffer?
    }

    private struct State {
        var seq: UInt64 = 0
        /// The newest `capacity` events: a deque, so dropping the oldest costs nothing (an
        /// array moved every kept event once per new one, a quarter of a restart's replay).
        var recent = Deque<Entry>()
        /// Streams waiting for an event newer than the last they sent, by ticket.
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var tickets: UInt64 = 0
        var finished = false
    }

    /// What a stream gets when it asks for the events after its position.
    enum StreamRead {
        /// The frames of the events after the position, concatenated, and the newest one's number.
        case frames(ByteBuffer, through: UInt64)
        /// The stream is further behind than it may be: this many events were not sent.
        case behind(missed: UInt64)
        /// The node is shutting down.
        case finished
        /// Nothing happened within the wait.
        case quiet
    }

    private let state = Mutex(State())
    let capacity: Int
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

    /// The number of the newest event (0 before the first).
    var newest: UInt64 { state.withLock { $0.seq } }

    func record(_ kind: String, term: UInt64, _ message: String) {
        let at = uptimeMs
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.seq += 1
            let e = NodeEvent(seq: s.seq, atMs: at, node: node, kind: kind, term: term, message: message)
            s.recent.append(Entry(event: e, frame: nil))
            if s.recent.count > capacity { s.recent.removeFirst() }
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    func recentEvents(after seq: UInt64 = 0) -> [NodeEvent] {
        state.withLock { s in s.recent.filter { $0.event.seq > seq }.map(\.event) }
    }

    /// The frames of every event after `position`, waiting until there is one (`.quiet` when
    /// none came within `wait`); `.behind` when the newest event is more than `maxLag` (or the
    /// ring's capacity) past `position`.
    func read(after position: UInt64, maxLag: Int, wait: Duration = .seconds(15)) async -> StreamRead {
        let allowed = UInt64(max(1, min(maxLag, capacity)))
        let deadline = ContinuousClock.now + wait
        while true {
            let read = state.withLock { s -> StreamRead? in
                if s.finished { return .finished }
                guard s.seq > position else { return nil }
                if s.seq - position > allowed { return .behind(missed: s.seq - position) }
                // Numbers in the ring run without a gap, so the first to send is found by subtraction.
                guard let oldest = s.recent.first?.event.seq, position + 1 >= oldest else {
                    return .behind(missed: s.seq - position)
                }
                var frames = ByteBuffer()
                for i in Int(position + 1 - oldest)..<s.recent.count {
                    if s.recent[i].frame == nil { s.recent[i].frame = s.recent[i].event.frame }
                    frames.writeImmutableBuffer(s.recent[i].frame!)
                }
                return .frames(frames, through: s.seq)
            }
            if let read { return read }
            if ContinuousClock.now >= deadline { return .quiet }
            let ticket = state.withLock { s -> UInt64 in
                s.tickets += 1
                return s.tickets
            }
            let timer = Task { [self] in
                try? await Task.sleep(until: deadline)
                state.withLock { $0.waiters.removeValue(forKey: ticket) }?.resume()
            }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    // Past the deadline the timer has come (or will find nothing): do not wait.
                    if s.finished || s.seq > position || ContinuousClock.now >= deadline { return true }
                    s.waiters[ticket] = c
                    return false
                }
                if resumeNow { c.resume() }
            }
            timer.cancel()
        }
    }

    /// Ends every stream (the node is shutting down).
    func finishAll() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.finished = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }
}
