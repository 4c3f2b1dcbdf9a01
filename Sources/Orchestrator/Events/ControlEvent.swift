import Foundation
import Synchronization

/// Something the control plane did or saw: an operator action and its outcome, a recovery
/// finding, an invariant violation, a change observed in the cluster. Each carries its reason.
public struct ControlEvent: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// An operator action (kill, partition, …) and its outcome.
        case action
        /// A change seen in the cluster: election, node up or down, membership.
        case observed
        /// A recovery analyzer's finding, or the action it took.
        case recovery
        /// An invariant violation.
        case invariant
        /// The load generator.
        case load
    }

    public var at: Date
    public var kind: Kind
    /// The node it concerns, if one.
    public var node: String?
    public var message: String
    /// Why: who asked, or what was detected.
    public var reason: String?
    /// False when an action failed.
    public var ok: Bool
    /// What sort of change: election, leader-lost, term, node-up, node-down, membership, join, task, … (transcripts and replay read it).
    public var category: String?
    /// How long it took, where that is the point (an election: from losing the leader to the new one).
    public var durationMs: Int?
    /// The operator action this event reports the outcome of, in a form a replay can run again.
    public var action: OperatorAction?

    public init(_ kind: Kind, node: String? = nil, _ message: String, reason: String? = nil, ok: Bool = true, at: Date = Date(),
                category: String? = nil, durationMs: Int? = nil, action: OperatorAction? = nil) {
        self.at = at
        self.kind = kind
        self.node = node
        self.message = message
        self.reason = reason
        self.ok = ok
        self.category = category
        self.durationMs = durationMs
        self.action = action
    }

    public var line: String {
        var s = "[\(kind.rawValue)] \(message)"
        if let reason { s += " (\(reason))" }
        return s
    }
}

/// Where control events go: kept (the most recent ones) for views, and handed to every subscriber
/// (the CLI's printer, a transcript).
public final class EventSink: Sendable {
    private struct State {
        var recent: [ControlEvent] = []
        var subscribers: [UUID: @Sendable (ControlEvent) -> Void] = [:]
    }
    private let state = Mutex(State())
    private let keep: Int

    public init(keep: Int = 500) { self.keep = keep }

    public func emit(_ event: ControlEvent) {
        let subscribers = state.withLock { s in
            s.recent.append(event)
            if s.recent.count > keep { s.recent.removeFirst(s.recent.count - keep) }
            return Array(s.subscribers.values)
        }
        for f in subscribers { f(event) }
    }

    public func emit(_ kind: ControlEvent.Kind, node: String? = nil, _ message: String, reason: String? = nil, ok: Bool = true,
                     category: String? = nil, action: OperatorAction? = nil) {
        emit(ControlEvent(kind, node: node, message, reason: reason, ok: ok, category: category, action: action))
    }

    @discardableResult
    public func subscribe(_ f: @escaping @Sendable (ControlEvent) -> Void) -> UUID {
        let id = UUID()
        state.withLock { $0.subscribers[id] = f }
        return id
    }

    public func unsubscribe(_ id: UUID) { _ = state.withLock { $0.subscribers.removeValue(forKey: id) } }

    public var recent: [ControlEvent] { state.withLock { $0.recent } }
}
