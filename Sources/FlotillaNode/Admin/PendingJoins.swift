import FlotillaAPI
import Synchronization

/// Joins waiting for an operator, and the ids an operator turned away.
final class PendingJoins: Sendable {
    private let state = Mutex<(pending: [String: JoinRequest], denied: Set<String>)>(([:], []))

    /// Holds a join; true when it is new.
    func hold(_ join: JoinRequest) -> Bool {
        state.withLock { s in
            defer { s.pending[join.id] = join }
            return s.pending[join.id] == nil
        }
    }

    func take(_ id: String, deny: Bool) -> JoinRequest? {
        state.withLock { s in
            guard let request = s.pending.removeValue(forKey: id) else { return nil }
            if deny { s.denied.insert(id) }
            return request
        }
    }

    func denied(_ id: String) -> Bool { state.withLock { $0.denied.contains(id) } }

    var all: [JoinRequest] { state.withLock { $0.pending.values.sorted { $0.id < $1.id } } }
}
