import Orchestrator
import Testing

/// Every wait of the orchestrator polls through `Poll`: what it finds on its last look, taken
/// after the deadline, counts, and a wait that never finds anything ends.
@Suite("Polling within a bound")
struct PollTests {
    @Test func aPollThatWakesAfterItsDeadlineStillLooksOnce() async {
        var looks = 0
        // The interval is far longer than the bound: the second look comes after the deadline.
        let found = await Poll.until(.milliseconds(1), every: .milliseconds(30)) { () -> Int? in
            looks += 1
            return looks == 2 ? looks : nil
        }
        #expect(found == 2 && looks == 2)
    }

    @Test func aWaitThatNeverFindsItEndsWithTheLastValue() async {
        var reads = 0
        let clock = ContinuousClock(), start = clock.now
        let (last, held) = await Poll.latest(.milliseconds(50), every: .milliseconds(5), read: { () -> Int in
            reads += 1
            return reads
        }, until: { _ in false })
        #expect(!held && last == reads && reads >= 2)
        #expect(clock.now - start >= .milliseconds(50))
    }

    @Test func aConditionThatHoldsAtOnceNeedsOneLook() async {
        var reads = 0
        let (value, held) = await Poll.latest(.seconds(10), every: .seconds(10), read: { () -> String in
            reads += 1
            return "up"
        }, until: { $0 == "up" })
        #expect(held && value == "up" && reads == 1)
    }
}
