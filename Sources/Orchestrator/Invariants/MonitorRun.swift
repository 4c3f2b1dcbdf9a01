import FlotillaAPI
import Foundation

/// Feeds an `InvariantMonitor` from a live cluster of any engine: snapshots; on Flotilla's node
/// also a log-hash probe at a common index and the committed task table. Violations become events.
public actor MonitorRun {
    public let engine: any Engine
    /// Flotilla's control plane when the engine is its node (log hashes, the task table); nil otherwise.
    public nonisolated var control: ClusterControl? { (engine as? FlotillaEngine)?.control }
    public private(set) var monitor = InvariantMonitor()

    public init(engine: any Engine) { self.engine = engine }

    public init(control: ClusterControl) { self.init(engine: FlotillaEngine(control: control)) }

    public var violations: [Violation] { monitor.violations }
    public var checks: Int { monitor.checks }

    public func forget(_ node: String) { monitor.forget(node) }

    /// Checks one snapshot; the violations it showed for the first time.
    @discardableResult
    public func observe(_ s: ClusterSnapshot) -> [Violation] {
        let found = monitor.observe(s)
        emit(found)
        return found
    }

    /// Reads every answering node's hash at the highest index they all hold committed (Flotilla's
    /// node only: other engines do not expose one); the violations it showed for the first time.
    @discardableResult
    public func probeHashes(_ s: ClusterSnapshot) async -> [Violation] {
        let live = s.live.filter { !$0.members.isEmpty }
        guard let control, live.count >= 2, let index = live.map(\.commit).min(), index > 0 else { return [] }
        let admin = control.admin
        var hashes: [String: LogHash] = [:]
        for st in live {
            // A node that compacted past the index answers 404: it has nothing to compare there.
            if let h: LogHash = try? await admin.call("GET", st.adminAddress, "/v1/log/hash?index=\(index)", timeout: .seconds(2)) {
                hashes[st.id] = h
            }
        }
        guard hashes.count >= 2 else { return [] }
        let found = monitor.observe(hashes: hashes)
        emit(found)
        return found
    }

    /// Checks the committed task table, read page by page, against every acknowledged submit
    /// (key -> task id). A submit whose task retention removed is found through the keys the
    /// node remembers for removed tasks (with the same id); one neither held nor remembered is lost.
    public func checkTasks(acknowledged: [String: String]) async throws {
        guard let control else { throw OrchestratorError("\(engine.kind) has no task table to check") }
        let tasks = try await control.allTasks()
        let removed = try await control.removedKeys()
        emit(monitor.observe(tasks: tasks, acknowledged: acknowledged, removedKeys: removed.keys))
    }

    /// Checks a task table that carries no acknowledgements (epochs, completions).
    @discardableResult
    public func observeTasks(_ tasks: [TaskView]) -> [Violation] {
        let found = monitor.observe(tasks: tasks, acknowledged: [:])
        emit(found)
        return found
    }

    /// The verdict line a scripted run ends with.
    public var verdict: String {
        monitor.ok ? "invariants: ok (\(monitor.checks) checks)"
            : "invariants: \(monitor.violations.count) VIOLATION(S)\n" + monitor.violations.map { "  - \($0)" }.joined(separator: "\n")
    }

    func emit(_ found: [Violation]) {
        for v in found { engine.events.emit(.invariant, node: v.node, "VIOLATION \(v.invariant): \(v.detail)", reason: "invariant monitor", ok: false, category: "invariant") }
    }
}
