import Glibc
import Testing
@testable import FlotillaNode

/// What a snapshot's hold of the Raft loop is made of: wall time, the thread's CPU time, and how
/// often it left the CPU (preempted, or blocked of its own accord).
@Suite("Loop hold")
struct LoopHoldTests {
    @Test func cpuAdvancesWhileTheThreadComputesAndNeverFasterThanTheWallClock() {
        let start = LoopHold.mark()
        var sum: UInt64 = 0
        // Compute until the thread has used 20 ms of CPU; a clock stuck at zero never gets there.
        while LoopHold.since(start).cpu < .milliseconds(20), LoopHold.since(start).wall < .seconds(20) {
            for i in 0..<10_000 { sum &+= UInt64(i) &* 2_654_435_761 }
        }
        let held = LoopHold.since(start)
        #expect(sum != 0)
        #expect(held.cpu >= .milliseconds(20))
        #expect(held.cpu <= held.wall + .milliseconds(5), "one thread cannot use more CPU than the wall time that passed")
    }

    @Test func sleepingCountsAsBlockedAndUsesNoCPU() {
        let start = LoopHold.mark()
        for _ in 0..<5 { usleep(2_000) }
        let held = LoopHold.since(start)
        #expect(held.blocked >= 5, "each sleep leaves the CPU of the thread's own accord: \(held)")
        #expect(held.wall >= .milliseconds(10))
        #expect(held.cpu < .milliseconds(5), "\(held)")
        #expect(held.detail.hasSuffix("blocked \(held.blocked) times"))
    }

    /// A hold of a millisecond or two is read to well under a millisecond: a clock that moves in
    /// scheduler ticks (4 ms) reads such a hold as 0 until a tick passes, then as 4 ms at once.
    @Test func aHoldShorterThanATickIsReadFinely() {
        for _ in 0..<5 {
            let start = LoopHold.mark()
            var sum: UInt64 = 0
            // Compute until the thread has used 1.5 ms of CPU, however long the scheduler keeps it waiting.
            repeat {
                for i in 0..<1_000 { sum &+= UInt64(i) &* 2_654_435_761 }
            } while LoopHold.since(start).cpu < .microseconds(1_500) && LoopHold.since(start).wall < .seconds(20)
            let held = LoopHold.since(start)
            #expect(sum != 0)
            #expect(held.cpu >= .microseconds(1_500) && held.cpu < .microseconds(3_000), "\(held)")
            #expect(held.cpu <= held.wall + .microseconds(100), "\(held)")
        }
    }
}
