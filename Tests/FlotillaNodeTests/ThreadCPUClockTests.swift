import Testing
@testable import FlotillaNode

/// The clock the snapshot hold's CPU share is read from.
@Suite("Thread CPU clock")
struct ThreadCPUClockTests {
    @Test func itAdvancesWhileTheThreadComputesAndNeverFasterThanTheWallClock() {
        let start = ThreadCPUClock.now()
        let wall = ContinuousClock.now
        var sum: UInt64 = 0
        // Compute until the thread has used 20 ms of CPU; a clock stuck at zero never gets there.
        while ThreadCPUClock.now() - start < .milliseconds(20), ContinuousClock.now - wall < .seconds(20) {
            for i in 0..<10_000 { sum &+= UInt64(i) &* 2_654_435_761 }
        }
        #expect(sum != 0)
        #expect(ThreadCPUClock.now() - start >= .milliseconds(20))
        #expect(ThreadCPUClock.now() - start <= ContinuousClock.now - wall + .milliseconds(5),
                "one thread cannot use more CPU than the wall time that passed")
    }
}
