import CSpawn
#if canImport(Glibc)
import Glibc
#endif

/// How long a piece of work held the Raft loop, and why: its wall time, the thread's CPU time
/// within it, and how often the thread left the CPU meanwhile, taken off it by the scheduler
/// (`preempted`: runnable, waiting for a core) or of its own accord (`blocked`: on I/O or a lock).
/// A hold of 15 ms with 2 ms of CPU and one preemption waited for a core; one with a block
/// waited on the disk or a lock.
struct LoopHold: Sendable {
    var wall: Duration = .zero
    var cpu: Duration = .zero
    var preempted = 0
    var blocked = 0

    /// Where a span starts: read again by `since` at its end.
    struct Mark {
        let at: ContinuousClock.Instant
        let cpu: Duration
        let usage: rusage
    }

    static func mark() -> Mark { Mark(at: .now, cpu: threadCPU(), usage: threadUsage()) }

    /// The hold from `start` until now, on the thread that took `start`.
    static func since(_ start: Mark) -> LoopHold {
        let end = threadUsage()
        let cpu = threadCPU()
        return LoopHold(wall: ContinuousClock.now - start.at,
                        cpu: cpu - start.cpu,
                        preempted: end.ru_nivcsw - start.usage.ru_nivcsw,
                        blocked: end.ru_nvcsw - start.usage.ru_nvcsw)
    }

    /// "C ms of it on the CPU; preempted P, blocked B times", for logs and events.
    var detail: String {
        "\(hundredthsMs(cpu)) ms of it on the CPU; preempted \(preempted), blocked \(blocked) times"
    }

    private static func threadUsage() -> rusage {
        var usage = rusage()
        // RUSAGE_THREAD (1): Glibc's module leaves it out, as it needs _GNU_SOURCE.
        _ = getrusage(__rusage_who_t(1), &usage)
        return usage
    }

    /// The calling thread's CPU time to the nanosecond. Not getrusage's ru_utime and ru_stime:
    /// for a thread those are split from scheduler ticks (4 ms apart at 250 Hz), so a hold of a
    /// millisecond or two read as 0 or as 4 ms of CPU.
    private static func threadCPU() -> Duration {
        .nanoseconds(max(0, flotilla_thread_cpu_ns()))
    }
}
