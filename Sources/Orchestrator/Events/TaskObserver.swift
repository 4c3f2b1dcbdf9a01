import FlotillaAPI
import Foundation

/// Turns consecutive task tables into state changes: a task seen for the first time, or in
/// a new state or on a new node.
public struct TaskObserver: Sendable {
    public struct Change: Sendable, Equatable {
        public var id: String
        public var from: TaskState?
        public var state: TaskState
        public var node: String?
        public var kind: String
        public var attempts: Int
        /// When the task was submitted, ms since 1970 (what playback counts a task's age from).
        public var submittedAt: UInt64 = 0
    }

    var known: [String: (state: TaskState, node: String?)] = [:]

    public init() {}

    public mutating func observe(_ tasks: [TaskView]) -> [Change] {
        var out: [Change] = []
        for t in tasks.sorted(by: { $0.submittedAt < $1.submittedAt || ($0.submittedAt == $1.submittedAt && $0.id < $1.id) }) {
            let before = known[t.id]
            if before?.state != t.state || before?.node != t.node {
                out.append(Change(id: t.id, from: before?.state, state: t.state, node: t.node, kind: t.kind, attempts: t.attempts,
                                  submittedAt: t.submittedAt))
                known[t.id] = (t.state, t.node)
            }
        }
        return out
    }
}
