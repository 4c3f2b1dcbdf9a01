import DequeModule
import Synchronization

/// A bound on the large answers (task lists) the node builds and sends at once. A request
/// takes a slot before its answer is built and gives it back once the client has taken all
/// but the last slice of it (`Response.json` writes large bodies in slices that wait for the
/// socket), or its connection closed. So clients that do not read hold at most `count`
/// answers in memory, and a request that waits longer than its patience for a slot is
/// answered 503 instead of queueing without bound.
final class AnswerSlots: Sendable {
    private struct State {
        var free: Int
        var waiters = Deque<(id: UInt64, continuation: CheckedContinuation<Bool, Never>)>()
        var nextID: UInt64 = 0
        /// Waits whose patience ran out before they were queued.
        var expired: Set<UInt64> = []
    }

    private let state: Mutex<State>
    let count: Int

    init(count: Int) {
        self.count = count
        state = Mutex(State(free: count))
    }

    /// Takes a slot, waiting up to `patience`; false if none came free in time.
    func acquire(patience: Duration) async -> Bool {
        let id = state.withLock { s -> UInt64? in
            if s.free > 0 {
                s.free -= 1
                return nil
            }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return true }
        let timeout = Task {
            try await Task.sleep(for: patience)
            let waiter = state.withLock { s -> CheckedContinuation<Bool, Never>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else {
                    s.expired.insert(id)
                    return nil
                }
                return s.waiters.remove(at: i).continuation
            }
            waiter?.resume(returning: false)
        }
        defer { timeout.cancel() }
        return await withCheckedContinuation { c in
            let expired = state.withLock { s -> Bool in
                if s.expired.remove(id) != nil { return true }
                s.waiters.append((id, c))
                return false
            }
            if expired { c.resume(returning: false) }
        }
    }

    /// Gives a slot back: to the longest waiting request, if any.
    func release() {
        let waiter = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            if let first = s.waiters.popFirst() { return first.continuation }
            s.free += 1
            return nil
        }
        waiter?.resume(returning: true)
    }
}
