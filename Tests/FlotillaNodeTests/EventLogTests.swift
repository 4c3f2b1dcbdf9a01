import FlotillaAPI
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
