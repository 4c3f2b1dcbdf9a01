import FlotillaAPI
import NIOCore
import Testing
@testable import FlotillaNode

@Suite("Event log")
struct EventLogTests {
    /// The log keeps exactly the newest `capacity` events, in order, with gap-free sequence numbers.
    @Test func keepsTheNewestEventsInOrder() {
        let log = EventLog(node: "n1", capacity: 50)
        for i in 1...5_000 { log.record("task", term: UInt64(i / 100), "event \(i)") }
        let kept = log.recentEvents()
        #expect(kept.count == 50)
        #expect(kept.map(\.seq) == Array(4_951...5_000))
        #expect(kept.last?.message == "event 5000" && kept.first?.message == "event 4951")
        #expect(log.recentEvents(after: 4_990).map(\.seq) == Array(4_991...5_000))
        #expect(log.recentEvents(after: 5_000).isEmpty)
    }
}

@Suite("Event streams")
struct EventStreamTests {
    /// A stream reads the frames after its position oldest first, and one further behind than
    /// its allowed lag (or than the ring holds) is told how many events it missed.
    @Test func aStreamReadsInOrderAndIsToldWhenItFellBehind() async {
        let log = EventLog(node: "n1", capacity: 50)
        for i in 1...60 { log.record("task", term: 1, "event \(i)") }
        guard case let .frames(frames, through) = await log.read(after: 55, maxLag: 10) else {
            Issue.record("a stream 5 events behind reads them")
            return
        }
        #expect(through == 60)
        let ids = String(buffer: frames).split(separator: "\n").filter { $0.hasPrefix("id: ") }
        #expect(ids == ["id: 56", "id: 57", "id: 58", "id: 59", "id: 60"])
        guard case .behind(let missed) = await log.read(after: 40, maxLag: 10) else {
            Issue.record("a stream 20 events behind with a lag of 10 is behind")
            return
        }
        #expect(missed == 20)
        // Past what the ring holds, whatever the lag allowed.
        guard case .behind = await log.read(after: 5, maxLag: 1000) else {
            Issue.record("a stream behind the ring is behind")
            return
        }
    }

    /// A waiting stream wakes for the next event, and ends when the node shuts down.
    @Test func aWaitingStreamWakesForTheNextEventAndEndsAtShutdown() async {
        let log = EventLog(node: "n1")
        log.record("role", term: 1, "first")
        let reader = Task { await log.read(after: 1, maxLag: 100) }
        log.record("role", term: 1, "second")
        guard case .frames(_, let through) = await reader.value else {
            Issue.record("the stream read the second event")
            return
        }
        #expect(through == 2)
        let waiting = Task { await log.read(after: 2, maxLag: 100) }
        log.finishAll()
        guard case .finished = await waiting.value else {
            Issue.record("the stream ended at shutdown")
            return
        }
    }

    /// A stream on a quiet node is woken after its wait with nothing to send, so it can write
    /// a keep-alive (what finds a client that went away); an event inside the wait still wakes it.
    @Test func aQuietStreamIsWokenAfterItsWait() async {
        let log = EventLog(node: "n1")
        log.record("role", term: 1, "first")
        let clock = ContinuousClock(), start = clock.now
        guard case .quiet = await log.read(after: 1, maxLag: 100, wait: .milliseconds(100)) else {
            Issue.record("nothing happened: the read ends quiet")
            return
        }
        #expect(clock.now - start >= .milliseconds(100))
        let reader = Task { await log.read(after: 1, maxLag: 100, wait: .seconds(30)) }
        log.record("role", term: 1, "second")
        guard case .frames(_, let through) = await reader.value else {
            Issue.record("an event inside the wait wakes the stream")
            return
        }
        #expect(through == 2)
    }
}
