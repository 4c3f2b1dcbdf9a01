import Foundation
import Testing

/// Runs blocking work (waiting for a process, reading its pipes) on a thread of its own, so it
/// never holds one of the cooperative pool's threads that every concurrent test shares. The
/// body runs outside the test's task: return what it found and check it afterwards.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// The error `eventually` throws after recording that its wait ran out.
public struct TimedOut: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` every `poll` until it holds; records an issue naming `what` and throws
/// `TimedOut` after `timeout`. The condition is always checked once more after the deadline
/// has passed, so a starved poller never fails a condition that already holds.
public func eventually(_ what: String, timeout: Duration = .seconds(30), poll: Duration = .milliseconds(20),
                       sourceLocation: SourceLocation = #_sourceLocation,
                       _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try await !condition() {
        guard clock.now < deadline else {
            Issue.record("timed out after \(timeout) waiting for \(what)", sourceLocation: sourceLocation)
            throw TimedOut(what: what)
        }
        try await Task.sleep(for: poll)
    }
}

/// Runs `body`, failing (instead of hanging the suite) if it has not returned after `limit`:
/// a guard against a deadlock, generous enough for a busy machine, not a speed check.
public func withHangGuard<T: Sendable>(_ limit: Duration = .seconds(120), sourceLocation: SourceLocation = #_sourceLocation,
                                       _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            Issue.record("no result within \(limit)", sourceLocation: sourceLocation)
            throw TimedOut(what: "a result within \(limit)")
        }
        return value
    }
}
