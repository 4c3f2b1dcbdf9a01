import FlotillaAPI

/// The total-queue check of a chaos run, as Jepsen checks a queue: the clients' history of
/// submits against the committed task table. Pure, so it is tested without a cluster.
public struct QueueCheck: Sendable, Equatable {
    /// Submits the cluster acknowledged.
    public var acknowledged = 0
    /// Acknowledged keys missing from the table (or held there under another task id).
    public var lost: [String] = []
    /// Keys the table holds more than once.
    public var duplicated: [String] = []
    /// Keys in the table that no client submitted, or whose every attempt was refused.
    public var unexpected: [String] = []
    /// Submits with an unknown outcome that did commit.
    public var recovered = 0
    /// Submits with an unknown outcome that did not commit (allowed: the client never heard back).
    public var indeterminate = 0

    public init() {}

    /// Nothing lost, duplicated or unexpected.
    public var ok: Bool { lost.isEmpty && duplicated.isEmpty && unexpected.isEmpty }

    /// Compares the clients' history of submits with the committed task table and the keys the
    /// cluster remembers for tasks its retention removed (key -> task id, read after the table).
    public static func check(history: [LoadGenerator.Operation], tasks: [TaskView], removedKeys: [String: String] = [:]) -> QueueCheck {
        var c = QueueCheck()
        var byKey: [String: [(id: String, key: String)]] = [:]
        for t in tasks { byKey[t.key, default: []].append((t.id, t.key)) }
        for (key, id) in removedKeys where !(byKey[key] ?? []).contains(where: { $0.id == id }) {
            byKey[key, default: []].append((id, key))
        }
        var outcomes: [String: LoadGenerator.Operation] = [:]
        for op in history {
            // One key, one operation; a second record of a key keeps the strongest outcome.
            if let seen = outcomes[op.key], seen.outcome == .ok { continue }
            outcomes[op.key] = op
        }
        for (key, op) in outcomes.sorted(by: { $0.key < $1.key }) {
            let copies = byKey[key] ?? []
            switch op.outcome {
            case .ok:
                c.acknowledged += 1
                if copies.isEmpty || (op.taskID != nil && !copies.contains { $0.id == op.taskID }) { c.lost.append(key) }
            case .unknown:
                if copies.isEmpty { c.indeterminate += 1 } else { c.recovered += 1 }
            case .fail:
                if !copies.isEmpty { c.unexpected.append(key) }
            }
        }
        for (key, copies) in byKey.sorted(by: { $0.key < $1.key }) {
            if copies.count > 1 { c.duplicated.append(key) }
            if outcomes[key] == nil { c.unexpected.append(key) }
        }
        return c
    }

    /// One line per finding, for the report.
    public var details: [String] {
        var out: [String] = []
        if !lost.isEmpty { out.append("lost (acknowledged, not in the task table): \(sample(lost))") }
        if !duplicated.isEmpty { out.append("duplicated (in the task table more than once): \(sample(duplicated))") }
        if !unexpected.isEmpty { out.append("unexpected (never submitted, or refused on every attempt): \(sample(unexpected))") }
        return out
    }

    private func sample(_ keys: [String]) -> String {
        keys.prefix(10).joined(separator: ", ") + (keys.count > 10 ? " … (\(keys.count) in all)" : "")
    }
}
