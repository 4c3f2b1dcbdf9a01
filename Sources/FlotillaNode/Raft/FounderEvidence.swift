import NodeCore
import RaftCore
import Synchronization

/// What the peer transport tells a founder check, beside the admin API: each founder's report as
/// it arrived on the peer's connection (its state frame), and the reason a peer that checked our
/// proof gave for refusing us. Peers often cannot reach each other's admin APIs (a separate
/// control network); they always reach each other's Raft ports. Also holds the report this node
/// sends of itself.
final class FounderEvidence: Sendable {
    private struct State {
        var reports: [NodeID: FounderCheck.Report] = [:]
        var refusals: [NodeID: String] = [:]
        var own: [UInt8]?
    }

    private let state = Mutex(State())

    func received(_ bytes: [UInt8], from peer: NodeID) {
        guard let report = try? FounderCheck.Report(decoding: bytes) else { return }
        state.withLock { $0.reports[peer] = report }
    }

    func refused(by peer: NodeID, _ reason: String) {
        state.withLock { $0.refusals[peer] = reason }
    }

    var reports: [NodeID: FounderCheck.Report] { state.withLock { $0.reports } }
    var refusals: [NodeID: String] { state.withLock { $0.refusals } }

    /// What this node tells the peers it dials about itself.
    func publish(_ report: FounderCheck.Report) {
        let bytes = report.encoded()
        state.withLock { $0.own = bytes }
    }

    var own: [UInt8]? { state.withLock { $0.own } }
}
