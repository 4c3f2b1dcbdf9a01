import Orchestrator
import Testing

/// The kernel delay's release order, without a socket: a seeded schedule given arrivals at
/// known times hands packets back in order of release time.
@Suite("Packet delay schedule")
struct PacketDelayScheduleTests {
    static let ms: Int64 = 1_000_000

    /// Admits `count` packets (ids 0…) one millisecond apart on `rule`; their release order.
    static func releaseOrder(seed: UInt64, rule: DelayRule?, count: Int = 200) -> (order: [UInt32], times: [UInt32: Int64]) {
        var s = PacketDelaySchedule(seed: seed)
        var times: [UInt32: Int64] = [:]
        for i in 0..<count { times[UInt32(i)] = s.admit(UInt32(i), rule: rule, now: Int64(i) * ms) }
        return (s.due(now: .max), times)
    }

    @Test func aFixedDelayKeepsTheOrderAndReleasesNothingEarly() {
        var s = PacketDelaySchedule(seed: 1)
        let rule = DelayRule(from: "n1", to: "n2", delayMs: 100)
        for i in 0..<10 { #expect(s.admit(UInt32(i), rule: rule, now: Int64(i) * Self.ms) == Int64(i + 100) * Self.ms) }
        #expect(s.due(now: 99 * Self.ms) == [], "nothing is due before its delay")
        #expect(s.due(now: 102 * Self.ms) == [0, 1, 2])
        #expect(s.nextRelease == 103 * Self.ms)
        #expect(s.due(now: .max) == Array(3..<10))
        #expect(s.released == 10 && s.held.isEmpty)
    }

    @Test func jitterReordersWithinItsBoundsAndASeedRepeatsTheOrder() {
        let rule = DelayRule(from: "n1", to: "n2", delayMs: 100, jitterMs: 20)
        let (order, times) = Self.releaseOrder(seed: 42, rule: rule)
        #expect(Set(order) == Set(0..<200), "every packet is released once")
        #expect(order != Array(0..<200), "packets 1 ms apart with ±20 ms jitter overtake each other")
        let overtaken = zip(order, order.dropFirst()).filter { $0 > $1 }.count
        #expect(overtaken > 20, "\(overtaken) of 199 neighbours out of order")
        for (id, at) in times {
            let hold = at - Int64(id) * Self.ms
            #expect((80 * Self.ms...120 * Self.ms).contains(hold), "packet \(id) held \(hold) ns")
        }
        let released = order.map { times[$0]! }
        #expect(released == released.sorted(), "packets leave in order of release time")
        #expect(Self.releaseOrder(seed: 42, rule: rule).order == order, "the same seed, the same order")
        #expect(Self.releaseOrder(seed: 43, rule: rule).order != order, "another seed, another order")
    }

    @Test func aReorderShareHoldsThatShareOneMoreDelay() {
        let rule = DelayRule(from: "n1", to: "n2", delayMs: 20, reorderPercent: 25)
        var s = PacketDelaySchedule(seed: 7)
        var late = 0
        for i in 0..<1000 {
            let at = s.admit(UInt32(i), rule: rule, now: Int64(i) * Self.ms)!
            let hold = at - Int64(i) * Self.ms
            #expect(hold == 20 * Self.ms || hold == 40 * Self.ms)
            if hold == 40 * Self.ms { late += 1 }
        }
        #expect(late == s.reordered)
        #expect((200...300).contains(late), "\(late) of 1000 held back, asked 25%")
        // On a link with no delay a reordered packet still waits 10 ms, so later ones pass it.
        var quick = PacketDelaySchedule(seed: 7)
        let all = DelayRule(from: "n1", to: "n2", reorderPercent: 100)
        #expect(quick.admit(1, rule: all, now: 0) == 10 * Self.ms)
        #expect(quick.admit(2, rule: nil, now: Self.ms) == Self.ms, "a packet of no rule leaves at once")
        #expect(quick.due(now: .max) == [2, 1])
    }

    @Test func aFullScheduleRefusesAndCountsAndDrainLosesNothing() {
        var s = PacketDelaySchedule(seed: 3, capacity: 3)
        let rule = DelayRule(from: "n1", to: "n2", delayMs: 50, jitterMs: 40)
        for i in 0..<3 { #expect(s.admit(UInt32(i), rule: rule, now: 0) != nil) }
        #expect(s.admit(3, rule: rule, now: 0) == nil)
        #expect(s.dropped == 1 && s.held.count == 3 && s.admitted == 3)
        let drained = s.drain()
        #expect(Set(drained) == [0, 1, 2])
        #expect(s.held.isEmpty && s.released == 3)
        #expect(s.admit(4, rule: rule, now: 0) != nil, "room again once drained")
    }

    @Test func aRuleReadsBackFromItsComment() {
        let rule = DelayRule(from: "n1", to: "n12", delayMs: 100, jitterMs: 20, reorderPercent: 5)
        let line = "-A FORWARD -s 10.1.2.1/32 -d 10.1.2.12/32 -m comment --comment \"flotilla delay n1->n12 100 20 5\" -j NFQUEUE --queue-num 0"
        #expect(DelayRule.parse(comment: Substring(line)) == rule)
        #expect(DelayRule.parse(comment: "-A FORWARD -m comment --comment \"flotilla n1->n2 100\" -j DROP") == nil)
        #expect(rule.description == "delay n1->n12 100ms±20 reorder 5%")
        #expect(DelayRule(from: "a", to: "b", reorderPercent: 30).description == "reorder a->b 30%")
    }
}
