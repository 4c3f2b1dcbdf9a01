import RaftCore
import Synchronization

/// The part of the transport's state read from any thread: fault rules, per-peer
/// statistics and the bound port. Everything else belongs to the transport's event loop.
final class TransportShared: Sendable {
    struct State {
        var faults = FaultRules()
        var stats: [NodeID: PeerStats] = [:]
        var boundPort: Int?
        /// Handshakes refused to anyone, listed peer or stranger (per-peer counts are in `stats`).
        var refusedHandshakes = 0
    }

    let state = Mutex(State())

    var faults: FaultRules { state.withLock { $0.faults } }

    func withState<R: Sendable>(_ body: (inout State) -> R) -> R {
        state.withLock { body(&$0) }
    }

    /// Updates `peer`'s statistics, creating them if needed.
    func updateStats(_ peer: NodeID, _ body: (inout PeerStats) -> Void) {
        state.withLock { s in body(&s.stats[peer, default: PeerStats()]) }
    }
}
