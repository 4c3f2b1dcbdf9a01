import Foundation
import HistoryCheck

/// A transcript's client history checked for linearizability, and when it is not, its
/// smallest failing window drawn as a timeline with the faults and leader changes of that
/// window on the same time axis.
public struct HistoryReport: Sendable {
    public var history: [HistoryOperation]
    public var verdict: Verdict
    /// Operator actions and observed events, as (time in ns, label) marks.
    public var marks: [(time: Int64, label: String)]

    public init(operations: [OperationLine], actions: [ActionLine] = [], events: [EventLine] = [], within time: Duration = .seconds(10)) {
        history = ClientHistory.history(operations)
        verdict = ClientHistory.check(history, within: time)
        let shown: Set<String> = ["leader", "partition", "heal", "fault", "node-down", "node-died", "node-up", "term"]
        marks = actions.map { (ClientHistory.nanoseconds($0.t), "\($0.verb)\($0.target.map { " \($0)" } ?? "")") }
            + events.filter { shown.contains($0.category ?? "") }.map { (ClientHistory.nanoseconds($0.t), $0.message) }
    }

    public init(_ transcript: Transcript, within time: Duration = .seconds(10)) {
        self.init(operations: transcript.operations, actions: transcript.actions, events: transcript.events, within: time)
    }

    public var summary: String { ClientHistory.summary(verdict, operations: history.count) }

    /// The failing window in `width` columns, with the marks that fall inside it; empty when
    /// the history is linearizable or the check ran out of time.
    public func timeline(width: Int) -> [String] {
        guard case .notLinearizable(let window) = verdict else { return [] }
        let times = window.operations.flatMap { [$0.call] + ($0.ret.map { [$0] } ?? []) }
        let (from, to) = (times.min() ?? 0, times.max() ?? 0)
        let inside = marks.filter { $0.time >= from && $0.time <= to }
        var lines = [String(format: "window %.3f s .. %.3f s, key %@", Double(from) / 1e9, Double(to) / 1e9, window.partition)]
        // What was done to the cluster last before the window often explains it.
        if let before = marks.filter({ $0.time < from }).max(by: { $0.time < $1.time }) {
            lines.append(String(format: "last before it, at %.3f s: %@", Double(before.time) / 1e9, before.label))
        }
        return lines + Timeline.render(window, marks: inside, width: width)
    }

    /// Jepsen-style JSON Lines (for elle-cli's and Knossos's readers).
    public var jsonLines: String { HistoryExport.jsonLines(history) }
}
