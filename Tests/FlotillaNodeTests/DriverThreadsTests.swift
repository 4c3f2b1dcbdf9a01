import Glibc
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
}
