import Foundation
import HistoryCheck

/// What `EngineCheck` found: the invariants over the snapshots polled meanwhile and, after a
/// workload, its history's verdict. Encodes for `-o json`.
public struct EngineCheckReport: Sendable, Encodable {
    public var engine: String
    /// Snapshots judged by the invariant monitor, and what it found.
    public var checks: Int
    public var violations: [Violation]
    /// Operations in the workload's history (0 without one).
    public var operations: Int
    /// `linearizability: ok (N operations)`, or what failed; nil without a workload.
    public var history: String?
    /// False when the history was not linearizable (unknown is not a failure).
    public var linearizable: Bool

    public var ok: Bool { violations.isEmpty && linearizable }

    /// Lines for a terminal.
    public var text: String {
        var lines: [String] = []
        if let history { lines.append(history) }
        lines.append(violations.isEmpty ? "invariants: ok (\(checks) checks on \(engine))"
                                        : "invariants: \(violations.count) VIOLATED on \(engine)")
        lines += violations.map { "  \($0)" }
        return lines.joined(separator: "\n")
    }
}
