/// Waiting for something to become true by looking at it again and again, within a bound.
///
/// Every wait looks once more after its deadline has passed: a poll on a busy machine (a
/// cooperative pool that other work starves) may wake long after the deadline, and what it finds
/// then counts. A zombie read as "still running after 20 s" taught us that.
public enum Poll {
    /// Calls `look` every `interval` until it gives a value, which it returns, or `timeout` has
    /// passed (nil). It runs on the caller's actor, so `look` may use the caller's state.
    public static func until<T, E: Error>(_ timeout: Duration, every interval: Duration,
                                          isolation: isolated (any Actor)? = #isolation,
                                          _ look: () async throws(E) -> T?) async throws(E) -> T? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let found = try await look() { return found }
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: interval)
        }
    }

    /// Reads a value every `interval` until `condition` holds of it or `timeout` has passed:
    /// the last value read, and whether the condition held of it.
    public static func latest<T, E: Error>(_ timeout: Duration, every interval: Duration, read: () async throws(E) -> T,
                                           until condition: (T) -> Bool,
                                           isolation: isolated (any Actor)? = #isolation) async throws(E) -> (T, Bool) {
        var last: T?
        if let held = try await until(timeout, every: interval, isolation: isolation, { () async throws(E) -> T? in
            let value = try await read()
            last = value
            return condition(value) ? value : nil
        }) { return (held, true) }
        return (last!, false)
    }
}
