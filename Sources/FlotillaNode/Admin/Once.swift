import Synchronization

/// Resumes a continuation exactly once with whichever value comes first (an outcome or a
/// timeout), whether the value or the continuation arrives first.
final class Once<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, Never>?
        var value: Value?
        var done = false
    }

    private let state = Mutex(State())

    func set(_ c: CheckedContinuation<Value, Never>) {
        let ready = state.withLock { s -> Value? in
            if let v = s.value { return v }
            s.continuation = c
            return nil
        }
        if let ready { c.resume(returning: ready) }
    }

    func resume(_ value: Value) {
        let c = state.withLock { s -> CheckedContinuation<Value, Never>? in
            guard !s.done else { return nil }
            s.done = true
            if let c = s.continuation {
                s.continuation = nil
                return c
            }
            s.value = value
            return nil
        }
        c?.resume(returning: value)
    }
}
