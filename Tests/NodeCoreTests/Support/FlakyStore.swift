import NodeCore
import RaftCore
import Synchronization

/// A disk for tests: keeps what it is given, and fails on demand the way a real one does
/// (a full disk: retryable; a failed fsync: for good). Counts the batches it stored.
final class FlakyStore: LogStore {
    enum Mode: Sendable { case healthy, full, broken }

    private struct State {
        var mode = Mode.healthy
        var stored = PersistentState(hardState: HardState())
        var batches = 0
        var refused = 0
    }

    private let state = Mutex(State())

    var mode: Mode {
        get { state.withLock { $0.mode } }
        set { state.withLock { $0.mode = newValue } }
    }

    var stored: PersistentState { state.withLock { $0.stored } }
    var batches: Int { state.withLock { $0.batches } }
    var refused: Int { state.withLock { $0.refused } }

    func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?) throws(LogStoreFailure) {
        let mode = state.withLock { s -> Mode in
            if s.mode != .healthy { s.refused += 1 }
            return s.mode
        }
        switch mode {
        case .full: throw LogStoreFailure("write to wal/0001.seg failed: No space left on device (errno 28)", retryable: true)
        case .broken: throw LogStoreFailure("fsync wal/0001.seg failed: Input/output error (errno 5)", retryable: false)
        case .healthy: break
        }
        state.withLock { s in
            s.batches += 1
            if let snap = snapshot {
                s.stored.snapshot = snap
                s.stored.entries.removeAll { $0.index <= snap.metadata.index }
            }
            if let first = entries.first?.index {
                s.stored.entries.removeAll { $0.index >= first }
                s.stored.entries.append(contentsOf: entries)
            }
            if let hs = hardState { s.stored.hardState = hs }
        }
    }
}
