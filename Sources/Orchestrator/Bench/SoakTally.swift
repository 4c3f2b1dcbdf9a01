import FlotillaAPI

/// What a soak run saw of its acknowledged writes: each (key -> task id) must turn up, with the
/// same id, either in the task table or among the keys the cluster remembers for tasks its
/// retention removed (read while the run goes on, so no key leaves the window unseen). Pure.
public struct SoakTally: Sendable, Equatable {
    /// Key -> every distinct task id seen for it, in the table or among the remembered keys.
    private(set) var seen: [String: Set<String>] = [:]

    public init() {}

    /// Tasks read from the table.
    public mutating func observe(tasks: [TaskView]) {
        for t in tasks { seen[t.key, default: []].insert(t.id) }
    }

    /// Remembered keys of removed tasks (key -> task id).
    public mutating func observe(removedKeys: [RemovedKeyView]) {
        for k in removedKeys { seen[k.key, default: []].insert(k.id) }
    }

    /// Acknowledged writes seen nowhere, or only under another task id.
    public func lost(_ acknowledged: [String: String]) -> [String] {
        acknowledged.filter { key, id in !(seen[key]?.contains(id) ?? false) }.map(\.key).sorted()
    }

    /// Keys seen under more than one task id: one submit made two tasks.
    public var duplicated: [String] { seen.filter { $0.value.count > 1 }.map(\.key).sorted() }
}
