import FlotillaAPI
import Foundation
import Synchronization

/// Turns what the control plane does and sees into transcript lines: every action event
/// becomes an action line, every other event an event line, every load operation an op line,
/// every changed snapshot a status line and every task state change an event line.
public final class TranscriptRecorder: Sendable {
    public let writer: TranscriptWriter
    let events: EventSink
    let subscription: UUID
    private let state = Mutex<State>(State())

    private struct State {
        var lastStatus: StatusLine?
        var tasks = TaskObserver()
    }

    public init(writer: TranscriptWriter, events: EventSink) {
        self.writer = writer
        self.events = events
        subscription = events.subscribe { [writer] e in writer.write(TranscriptRecorder.line(for: e, writer: writer)) }
    }

    /// Stops following the events (lines already written stay).
    public func stop() { events.unsubscribe(subscription) }

    /// The line an event becomes.
    static func line(for e: ControlEvent, writer: TranscriptWriter) -> TranscriptLine {
        if let a = e.action {
            return .action(ActionLine(t: writer.t(a.startedAt), verb: a.verb, target: a.target, args: a.args, by: a.by, ok: e.ok,
                                      result: e.message, tookMs: Int(max(0, e.at.timeIntervalSince(a.startedAt)) * 1000), command: a.command))
        }
        return .event(EventLine(t: writer.t(e.at), kind: e.kind.rawValue, category: e.category, node: e.node, message: e.message,
                                reason: e.reason, ok: e.ok, durationMs: e.durationMs))
    }

    /// Writes a status line if the cluster looks different from the last one written.
    public func observe(_ s: ClusterSnapshot) {
        let line = StatusLine(s, t: writer.t(s.takenAt))
        let changed = state.withLock { st -> Bool in
            if let last = st.lastStatus, last.sameAs(line) { return false }
            st.lastStatus = line
            return true
        }
        if changed { writer.write(.status(line)) }
    }

    /// Writes a line per task whose state changed since the last table.
    public func observe(tasks: [TaskView], at: Date = Date()) {
        let changes = state.withLock { $0.tasks.observe(tasks) }
        for c in changes {
            writer.write(.event(EventLine(t: writer.t(at), kind: "observed", category: "task", node: c.node,
                                          message: "\(c.id) \(c.from.map { "\($0) -> " } ?? "")\(c.state)" + (c.node.map { " on \($0)" } ?? ""),
                                          ok: c.state != .failed, task: c.id, state: c.state, taskKind: c.kind, attempts: c.attempts,
                                          submittedT: c.from == nil && c.submittedAt > 0 ? writer.t(Date(timeIntervalSince1970: Double(c.submittedAt) / 1000)) : nil)))
        }
    }

    /// Writes one load-generator operation.
    public func record(_ op: LoadGenerator.Operation) {
        writer.write(.op(OperationLine(t: writer.t(op.invokedAt), returnedT: writer.t(op.returnedAt), key: op.key,
                                       outcome: op.outcome.rawValue, task: op.taskID, error: op.error, seen: op.seen, from: op.from, position: op.position)))
    }
}
