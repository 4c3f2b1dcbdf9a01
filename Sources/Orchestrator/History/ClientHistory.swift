import Foundation
import HistoryCheck

/// The load generator's operations as a history the linearizability checker reads: submits
/// are adds of their key (at the position the store gave it), reads are reads of the keys they
/// saw (of the keys from `from` on, for a read of part of the table). Times are nanoseconds from the
/// run's start. Operations are laid out on client lanes such that no lane holds two at once
/// (the checker does not need it; Jepsen's formats and the timeline do).
public enum ClientHistory {
    /// From transcript (or live) operation lines.
    public static func history(_ lines: [OperationLine]) -> [HistoryOperation] {
        let sorted = lines.sorted { ($0.t, $0.returnedT) < ($1.t, $1.returnedT) }
        var laneFree: [Int64] = []
        var out: [HistoryOperation] = []
        for line in sorted {
            let call = nanoseconds(line.t)
            let outcome: HistoryOperation.Outcome
            switch line.outcome {
            case "ok": outcome = .ok
            case "fail": outcome = .fail
            default: outcome = .unknown
            }
            let kind: HistoryOperation.Kind
            if let seen = line.seen {
                kind = .read(keys: Set(seen))
            } else if line.key.hasPrefix("read-") {
                continue  // a read that learned nothing
            } else {
                kind = .add(key: line.key)
            }
            let ret = outcome == .unknown ? nil : nanoseconds(line.returnedT)
            let lane = laneFree.firstIndex { $0 < call } ?? laneFree.count
            if lane == laneFree.count { laneFree.append(0) }
            laneFree[lane] = ret ?? .max
            out.append(HistoryOperation(client: lane, call: call, ret: ret, kind: kind, outcome: outcome,
                                        position: line.position, from: line.from))
        }
        return out
    }

    /// Checks `history` for linearizability, within `time` (then "unknown", never a hang): its
    /// task submits and reads against the task set, and its key-value puts and gets (an etcd
    /// load's) against registers, so neither kind passes by being left out.
    public static func check(_ history: [HistoryOperation], within time: Duration = .seconds(10),
                             budget: Int = 50_000_000) -> Verdict {
        let deadline = ContinuousClock.now + time
        let tasks = LinearizabilityChecker.check(history, model: TaskSetModel(), budget: budget) { ContinuousClock.now >= deadline }
        let keyValue = history.contains { op in
            switch op.kind {
            case .put, .get: true
            case .add, .read: false
            }
        }
        guard tasks == .linearizable, keyValue else { return tasks }
        return LinearizabilityChecker.check(history, model: KVRegisterModel(), budget: budget) { ContinuousClock.now >= deadline }
    }

    /// One line for a report: the verdict, and for a failure, what failed.
    public static func summary(_ verdict: Verdict, operations: Int) -> String {
        switch verdict {
        case .linearizable:
            return "linearizability: ok (\(operations) operations)"
        case .unknown(let reason):
            return "linearizability: unknown (\(reason))"
        case .notLinearizable(let window):
            let op = window.failingOperation
            let what: String
            switch op.kind {
            case .add(let key): what = "the add of \(key)"
            case .read(let keys): what = "a read that \(keys.contains(window.partition) ? "saw" : "missed") \(window.partition)"
            case .put(_, let value): what = "the put of \(value)"
            case .get(_, let value): what = "a get that returned \(value ?? "no value")"
            }
            return "linearizability: VIOLATED on key \(window.partition): \(what) at \(String(format: "%.3f", Double(op.call) / 1e9)) s "
                + "cannot be ordered with the \(window.operations.count - 1) other operation(s) of its window"
        }
    }

    static func nanoseconds(_ seconds: Double) -> Int64 { Int64((seconds * 1e9).rounded()) }
}

extension ClientHistory {
    /// The load generator's operations as operation lines, in seconds from the first call.
    public static func lines(_ operations: [LoadGenerator.Operation]) -> [OperationLine] {
        let origin = operations.map(\.invokedAt).min() ?? Date()
        return operations.map { op in
            OperationLine(t: op.invokedAt.timeIntervalSince(origin), returnedT: op.returnedAt.timeIntervalSince(origin), key: op.key,
                          outcome: op.outcome.rawValue, task: op.taskID, error: op.error, seen: op.seen, from: op.from, position: op.position)
        }
    }
}

extension Verdict {
    /// ok, violated or unknown: for JSON reports.
    public var word: String {
        switch self {
        case .linearizable: "ok"
        case .notLinearizable: "violated"
        case .unknown: "unknown"
        }
    }
}
