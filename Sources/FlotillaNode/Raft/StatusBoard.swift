import FlotillaAPI
import Synchronization

/// The node's status as the driver last published it, for lock-protected, non-blocking reads,
/// with a tag that changes only when something an observer can act on changed (not the
/// uptime, not how long ago a peer was heard from). Watchers long-poll on the tag: an idle
/// node answers a watcher once per wait instead of once per poll.
///
/// Deliberately not the task queue: a published copy would make the next mutation of the
/// driver's queue copy every task (copy-on-write), once per batch.
final class StatusBoard: Sendable {
    private struct State {
        var status: NodeStatus
        /// `status` without the fields that move on their own.
        var essence: NodeStatus
        var version: UInt64 = 1
        var waiters: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state: Mutex<State>
    /// Differs between two runs of the node, so a tag from before a restart never matches.
    private let boot = UInt64.random(in: 1...UInt64.max)

    init(_ status: NodeStatus) {
        state = Mutex(State(status: status, essence: StatusBoard.essence(of: status)))
    }

    var status: NodeStatus { state.withLock { $0.status } }

    /// The status and its tag (an HTTP entity tag, quotes included).
    var tagged: (status: NodeStatus, tag: String) {
        state.withLock { ($0.status, tag($0.version)) }
    }

    private func tag(_ version: UInt64) -> String {
        "\"" + String(boot, radix: 16) + "-" + String(version) + "\""
    }

    /// Replaces the status; wakes every watcher when its essence changed.
    func publish(_ status: NodeStatus) {
        let essence = StatusBoard.essence(of: status)
        let woken: [AsyncStream<Void>.Continuation] = state.withLock { s in
            s.status = status
            guard essence != s.essence else { return [] }
            s.essence = essence
            s.version += 1
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in woken {
            w.yield()
            w.finish()
        }
    }

    /// Waits until the tag is no longer `tag`, or `timeout` passes, or the task is cancelled.
    /// True when the status changed (or `tag` was never current).
    func waitForChange(from tag: String, timeout: Duration) async -> Bool {
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self)
        let id: UInt64? = state.withLock { s in
            guard self.tag(s.version) == tag else { return nil }
            s.nextWaiter += 1
            s.waiters[s.nextWaiter] = continuation
            return s.nextWaiter
        }
        guard let id else { return true }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.waiters.removeValue(forKey: id) }
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in changes { break }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        continuation.finish()
        return state.withLock { self.tag($0.version) != tag }
    }

    /// Watchers waiting for a change now.
    var watcherCount: Int { state.withLock { $0.waiters.count } }

    /// Wakes every watcher at once (the node is shutting down).
    func releaseWatchers() {
        let all = state.withLock { s in
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in all { w.finish() }
    }

    static func essence(of status: NodeStatus) -> NodeStatus {
        var e = status
        e.uptimeMs = 0
        e.leaderContactAgeMs = e.leaderContactAgeMs.map { _ in 0 }
        e.leaderForMs = e.leaderForMs.map { _ in 0 }
        for i in e.peers.indices { e.peers[i].lastContactMs = 0 }
        return e
    }
}
