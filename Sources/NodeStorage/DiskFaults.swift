import Glibc
import Synchronization

/// Injected disk failures for tests: a disk that fills up, an fsync that fails. Shared by
/// reference so a test can "free space" while the storage stays open.
final class DiskFaults: Sendable {
    private struct State {
        var spaceLeft: Int?
        var failFsync: Int32?
    }

    private let state = Mutex(State())

    init() {}

    /// Bytes that may still be written (across all files) before writes fail with ENOSPC; nil is unlimited.
    var spaceLeft: Int? {
        get { state.withLock { $0.spaceLeft } }
        set { state.withLock { $0.spaceLeft = newValue } }
    }

    /// When set, every fsync fails with this errno.
    var failFsync: Int32? {
        get { state.withLock { $0.failFsync } }
        set { state.withLock { $0.failFsync = newValue } }
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
