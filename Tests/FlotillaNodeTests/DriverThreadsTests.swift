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
        try await threads.setNice(3)
        let driver = try await threads.driver.submit { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }.get()
        let ticker = try await threads.ticker.submit { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }.get()
        await threads.shutdown()
        #expect(driver == 3 && ticker == 3)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == own)
    }
}
