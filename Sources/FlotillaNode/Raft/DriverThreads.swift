import CSpawn
import Glibc
import NIOCore
import NIOPosix

/// The Raft loop's own threads: one runs the driver actor (its batches and their fsyncs),
/// one its ticker. Nothing else runs on them, so no admin load (hundreds of event streams,
/// large answers, a flood of connections) can delay a heartbeat or an election timer: the
/// admin server and its handlers run on NIO's shared threads and Swift's global pool.
///
/// A third thread takes the work that walks the whole task table (encoding a snapshot, or
/// decoding one from the leader, and writing its file) at a lower CPU priority, nice 10: every node of a cluster reaches a snapshot at the
/// same applied index, so on shared cores their encodings ran together, and the Raft loops that
/// store each snapshot waited for the CPU behind them (20 ms of wall time for 1.4 ms of work).
final class DriverThreads: Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    private let background = NIOThreadPool(numberOfThreads: 1)
    /// The driver actor's executor.
    let driver: any EventLoop
    /// Where the ticker's timer fires.
    let ticker: any EventLoop

    init() {
        let loops = Array(group.makeIterator())
        driver = loops[0]
        ticker = loops[1]
        background.start()
    }

    /// Gives the driver's and the ticker's threads `priority` (`--raft-nice`, `--raft-realtime`):
    /// on a host whose cores are shared, the Raft loop then takes a core before the node's other
    /// threads and its neighbours'. Throws the system's reason (a nice value below 0, and the
    /// real-time policy, need root or CAP_SYS_NICE).
    func setPriority(_ priority: LoopPriority) async throws {
        for loop in [driver, ticker] {
            let failure = try await loop.submit { () -> Int32? in
                let rc = switch priority {
                case .nice(let nice): flotilla_set_thread_nice(nice)
                case .realtime(let level): flotilla_set_thread_fifo(level)
                }
                return rc == 0 ? nil : errno
            }.get()
            if let failure {
                let privileged = switch priority {
                case .nice(let nice): nice < 0
                case .realtime: true
                }
                throw NodeStartupError("cannot run the Raft loop at \(priority): \(String(cString: strerror(failure)))"
                    + (privileged ? " (this needs root or CAP_SYS_NICE)" : ""))
            }
        }
    }

    /// Runs `work` on the low-priority thread, after any work handed to it before.
    func inBackground(_ work: @escaping @Sendable () -> Void) {
        background.submit { state in
            guard case .active = state else { return }
            // The pool's one thread is this node's alone, so it may keep the lower priority.
            _ = flotilla_lower_thread_priority(10)
            work()
        }
    }

    /// Stops the threads, once the driver loop has ended.
    func shutdown() async {
        try? await group.shutdownGracefully()
        try? await background.shutdownGracefully()
    }
}

/// How the Raft loop's threads are scheduled when not as the rest of the process.
public enum LoopPriority: Sendable, Equatable, CustomStringConvertible {
    /// A nice value of their own (-20 to 19).
    case nice(Int32)
    /// SCHED_FIFO at this priority (1 to 99): no thread under the normal policy, the node's own
    /// or a neighbour's, takes the core from them; the kernel's real-time throttling (95% of
    /// each second by default) still leaves a runaway loop's core to the rest.
    case realtime(Int32)

    public var description: String {
        switch self {
        case .nice(let nice): "nice \(nice)"
        case .realtime(let level): "real-time priority \(level) (SCHED_FIFO)"
        }
    }
}
