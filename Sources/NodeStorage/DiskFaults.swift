import Glibc
import Synchronization

/// Injected disk failures: a disk that fills up, an fsync that fails or is slow. Works on either disk
/// (`PosixDisk(faults:)`, `MemoryDisk.faults`) and is shared by reference, so a test or a
/// simulator can fill or free the disk while the storage stays open.
public final class DiskFaults: Sendable {
    private struct State {
        var spaceLeft: Int?
        var failFsync: Int32?
        var syncDelay: Duration = .zero
    }

    private let state = Mutex(State())

    public init() {}

    /// Bytes that may still be written (across all files) before writes fail with ENOSPC; nil
    /// is unlimited. Every byte written uses it up (truncating does not give it back), so
    /// raising it again is what lets writes succeed once more.
    public var spaceLeft: Int? {
        get { state.withLock { $0.spaceLeft } }
        set { state.withLock { $0.spaceLeft = newValue } }
    }

    /// When set, every fsync (of a file or a directory) fails with this errno.
    public var failFsync: Int32? {
        get { state.withLock { $0.failFsync } }
        set { state.withLock { $0.failFsync = newValue } }
    }

    /// Added to every fsync of a file on the real disk (a slow disk); the sync blocks that much
    /// longer, as a slow device would. The in-memory disk ignores it: its time is the simulator's.
    public var syncDelay: Duration {
        get { state.withLock { $0.syncDelay } }
        set { state.withLock { $0.syncDelay = newValue } }
    }

    /// Blocks the calling thread for `syncDelay`, if any.
    func delaySync() {
        let delay = syncDelay
        guard delay > .zero else { return }
        let (seconds, attoseconds) = delay.components
        var left = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var rest = timespec()
        while nanosleep(&left, &rest) != 0 && errno == EINTR { left = rest }
    }

    /// How many of `count` bytes the disk accepts now; fewer means the write then fails with ENOSPC.
    func reserve(_ count: Int) -> Int {
        state.withLock { s in
            guard let left = s.spaceLeft else { return count }
            let granted = min(left, count)
            s.spaceLeft = left - granted
            return granted
        }
    }
}
