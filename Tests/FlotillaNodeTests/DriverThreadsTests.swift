import Glibc
import NIOCore
import Synchronization
import Testing
@testable import FlotillaNode

/// The Raft loop's threads: whole-table work runs at a lower CPU priority than the loop.
@Suite("Driver threads")
struct DriverThreadsTests {
    @Test func backgroundWorkRunsInOrderAtNiceTenWhileTheCallerKeepsItsPriority() async {
        let threads = DriverThreads()
        let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let seen = Mutex<[Int32]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for k in 0..<3 {
                threads.inBackground {
                    // The order the jobs were handed over in, and the nice value each ran at.
                    seen.withLock { $0.append(Int32(k) * 100 + getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)) }
                    if k == 2 { done.resume() }
                }
            }
        }
        await threads.shutdown()
        #expect(seen.withLock { $0 } == [10, 110, 210])
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == own, "the caller's thread keeps its own priority")
    }

    @Test func theRaftLoopsThreadsTakeTheNiceValueAsked() async throws {
        let threads = DriverThreads()
        // A higher nice value needs no privilege; the test's own thread is left as it was.
        let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        try await threads.setPriority(.nice(3))
        let driver = try await threads.driver.submit { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }.get()
        let ticker = try await threads.ticker.submit { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }.get()
        await threads.shutdown()
        #expect(driver == 3 && ticker == 3)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == own)
    }

    @Test(.enabled(if: geteuid() == 0, "SCHED_FIFO needs root or CAP_SYS_NICE"))
    func theRaftLoopsThreadsTakeTheRealTimePolicyAndTheirChildrenDoNot() async throws {
        let threads = DriverThreads()
        try await threads.setPriority(.realtime(2))
        let onLoop = try await threads.driver.submit { () -> (Int32, Int32) in
            var param = sched_param()
            sched_getparam(0, &param)
            return (sched_getscheduler(0), param.sched_priority)
        }.get()
        let ticker = try await threads.ticker.submit { sched_getscheduler(0) }.get()
        await threads.shutdown()
        // SCHED_FIFO, with the reset-on-fork flag that a forked task does not inherit it.
        #expect(onLoop.0 == SCHED_FIFO | 0x4000_0000 && onLoop.1 == 2, "\(onLoop)")
        #expect(ticker == SCHED_FIFO | 0x4000_0000)
        #expect(sched_getscheduler(0) == SCHED_OTHER, "the caller's thread keeps the normal policy")
    }
}
