import FlotillaAPI
import Foundation

/// Feeds an `InvariantMonitor` from a live cluster: snapshots, a log-hash probe at a common
/// index, and the committed task table. Violations become events.
public actor MonitorRun {
    public let control: ClusterControl
    public private(set) var monitor = InvariantMonitor()

    public init(control: ClusterControl) { self.control = control }

    public var violations: [Violation] { monitor.violations }
    public var checks: Int { monitor.checks }

    public func forget(_ node: String) { monitor.forget(node) }

    public func observe(_ s: ClusterSnapshot) {
        emit(monitor.observe(s))
    }

    /// Reads every answering node's hash at the highest index they all hold committed.
    public func probeHashes(_ s: ClusterSnapshot) async {
        let live = s.live.filter { !$0.members.isEmpty }
        guard live.count >= 2, let index = live.map(\.commit).min(), index > 0 else { return }
        let admin = control.admin
        var hashes: [String: LogHash] = [:]
        for st in live {
            // A node that compacted past the index answers 404: it has nothing to compare there.
            if let h: LogHash = try? await admin.call("GET", st.adminAddress, "/v1/log/hash?index=\(index)", timeout: .seconds(2)) {
                hashes[st.id] = h
            }
        }
        if hashes.count >= 2 { emit(monitor.observe(hashes: hashes)) }
    }

    /// Checks the committed task table, read page by page, against every acknowledged submit
    /// (key -> task id). A submit whose task retention removed is found through the keys the
    /// node remembers for removed tasks (with the same id); one neither held nor remembered is lost.
    public func checkTasks(acknowledged: [String: String]) async throws {
        let tasks = try await control.allTasks()
        let removed = try await control.removedKeys()
        emit(monitor.observe(tasks: tasks, acknowledged: acknowledged, removedKeys: removed.keys))
    }

    /// Checks a task table that carries no acknowledgements (epochs, completions).
    public func observeTasks(_ tasks: [TaskView]) {
        emit(monitor.observe(tasks: tasks, acknowledged: [:]))
    }

    /// Watches for `duration`, then probes hashes and (optionally) tasks once.
    public func watch(for duration: Duration, every interval: Duration = .milliseconds(200),
                      acknowledged: [String: String]? = nil) async throws {
        let deadline = ContinuousClock.now + duration
        var last = await control.client.poll()
        observe(last)
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: interval)
            last = await control.client.poll()
            observe(last)
        }
        await probeHashes(last)
        if let acknowledged { try await checkTasks(acknowledged: acknowledged) }
    }

    /// The verdict line a scripted run ends with.
    public var verdict: String {
        monitor.ok ? "invariants: ok (\(monitor.checks) checks)"
            : "invariants: \(monitor.violations.count) VIOLATION(S)\n" + monitor.violations.map { "  - \($0)" }.joined(separator: "\n")
    }

    func emit(_ found: [Violation]) {
        for v in found { control.events.emit(.invariant, node: v.node, "VIOLATION \(v.invariant): \(v.detail)", reason: "invariant monitor", ok: false, category: "invariant") }
    }
}
