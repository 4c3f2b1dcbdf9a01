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
        let usage: rusage
    }

    static func mark() -> Mark { Mark(at: .now, usage: threadUsage()) }

    /// The hold from `start` until now, on the thread that took `start`.
    static func since(_ start: Mark) -> LoopHold {
        let end = threadUsage()
        return LoopHold(wall: ContinuousClock.now - start.at,
                        cpu: cpuTime(end) - cpuTime(start.usage),
                        preempted: end.ru_nivcsw - start.usage.ru_nivcsw,
                        blocked: end.ru_nvcsw - start.usage.ru_nvcsw)
    }

    /// "C ms of it on the CPU; preempted P, blocked B times", for logs and events.
    var detail: String {
        "\((cpuMs(cpu) * 100).rounded() / 100) ms of it on the CPU; preempted \(preempted), blocked \(blocked) times"
    }

    private static func threadUsage() -> rusage {
        var usage = rusage()
        // RUSAGE_THREAD (1): Glibc's module leaves it out, as it needs _GNU_SOURCE.
        _ = getrusage(__rusage_who_t(1), &usage)
        return usage
    }

    private static func cpuTime(_ u: rusage) -> Duration {
        .microseconds((Int64(u.ru_utime.tv_sec) + Int64(u.ru_stime.tv_sec)) * 1_000_000
            + Int64(u.ru_utime.tv_usec) + Int64(u.ru_stime.tv_usec))
    }
}
