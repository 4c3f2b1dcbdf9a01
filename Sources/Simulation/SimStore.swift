import NodeCore
import RaftCore
import Synchronization

/// A simulated disk for one node's Raft state: what `persist` returns from is durable, unless
/// `lazy` (a planted bug) leaves writes in memory until `flush`, so a crash loses them.
final class SimStore: LogStore {
    private struct State {
        var durable = PersistentState(hardState: HardState())
        var pending = PersistentState(hardState: HardState())
    }

    private let state = Mutex(State())
    let lazy: Bool

    init(lazy: Bool) { self.lazy = lazy }

    func persist(hardState: HardState?, entries: [Entry], snapshot: Snapshot?) throws(LogStoreFailure) {
        state.withLock { s in
            Self.write(&s.pending, hardState: hardState, entries: entries, snapshot: snapshot)
            if !lazy { s.durable = s.pending }
        }
    }

    /// Makes lazy writes durable.
    func flush() { state.withLock { $0.durable = $0.pending } }

    /// What a restart finds.
    func recover() -> PersistentState { state.withLock { $0.durable } }

    func crash() { state.withLock { $0.pending = $0.durable } }

    private static func write(_ d: inout PersistentState, hardState: HardState?, entries: [Entry], snapshot: Snapshot?) {
        if let s = snapshot {
            d.snapshot = s
            d.entries.removeAll { $0.index <= s.metadata.index }
        }
        if let first = entries.first?.index {
            if let k = d.entries.firstIndex(where: { $0.index >= first }) { d.entries.removeSubrange(k...) }
            d.entries.append(contentsOf: entries)
        }
        if let hs = hardState { d.hardState = hs }
    }
}
