#if canImport(Glibc)
import Glibc
#endif

/// CPU time the calling thread has used (user and system). Set beside a wall-clock span of
/// the Raft loop, it tells work from waiting: on a loaded machine a loop held 40 ms of wall
/// time may have used 1 ms of CPU and spent the rest runnable but not running.
enum ThreadCPUClock {
    static func now() -> Duration {
        var usage = rusage()
        // RUSAGE_THREAD (1): Glibc's module leaves it out, as it needs _GNU_SOURCE.
        guard getrusage(__rusage_who_t(1), &usage) == 0 else { return .zero }
        let micros = (Int64(usage.ru_utime.tv_sec) + Int64(usage.ru_stime.tv_sec)) * 1_000_000
            + Int64(usage.ru_utime.tv_usec) + Int64(usage.ru_stime.tv_usec)
        return .microseconds(micros)
    }
}
