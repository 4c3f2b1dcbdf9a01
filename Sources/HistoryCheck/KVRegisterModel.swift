/// A key-value store as clients see it: every key is a register that a put overwrites and a get
/// reads, starting absent. This is how etcd's puts and gets are judged, linearizable and
/// serializable alike: a get that returns a value older than a put that completed before the get
/// was called has no place in any order, and the check says so.
///
/// The history splits by key (P-compositionality, as `TaskSetModel` splits by key): a key's
/// operations are checked alone with the value it holds as the whole state. Puts should write
/// values unique per key, so that a value read names the put that wrote it; the check stays
/// correct without that, only slower. Operations of other kinds (adds, whole-table reads) are
/// left out, as are failed operations and gets whose outcome is unknown (they constrain nothing),
/// and so is a put whose outcome is unknown when no get returned its value: it may never have
/// taken effect, and if it did, no get came between it and the next put, so leaving it out
/// changes no verdict. A load aimed at a dead member makes many of those, and each would
/// otherwise be one more choice for the search at every step.
public struct KVRegisterModel: LinearizabilityModel {
    /// What one per-key operation does.
    public enum Input: Hashable, Sendable {
        case put(String)
        case get
    }

    /// What one per-key operation answered.
    public enum Output: Hashable, Sendable {
        /// A put answers nothing beyond having happened.
        case written
        /// A get's value; nil when the key was absent.
        case value(String?)
    }

    public init() {}

    public var initialState: String? { nil }

    public func step(_ state: String?, _ input: Input, _ output: Output) -> String?? {
        switch (input, output) {
        case (.put(let value), .written): .some(value)
        case (.get, .value(let seen)) where seen == state: .some(state)
        default: .none
        }
    }

    public func isReadOnly(_ input: Input) -> Bool { input == .get }

    /// One part per key, in the order each key was first called; a key no get answered for is
    /// left out (puts alone always linearize).
    public func partition(_ history: [HistoryOperation]) -> [ModelPartition<Input, Output>] {
        var seen: Set<[String?]> = []
        for op in history where op.outcome == .ok {
            if case .get(let key, let value?) = op.kind { seen.insert([key, value]) }
        }
        var order: [String] = []
        var parts: [String: [ModelOperation<Input, Output>]] = [:]
        var read: Set<String> = []
        for (index, op) in history.enumerated() where op.outcome != .fail {
            let key: String, operation: ModelOperation<Input, Output>
            switch op.kind {
            case .put(let k, let value):
                if op.deadline == nil, !seen.contains([k, value]) { continue }
                key = k
                operation = ModelOperation(index: index, call: op.call, ret: op.deadline, input: .put(value), output: .written)
            case .get(let k, let value):
                guard let ret = op.deadline else { continue }
                key = k
                read.insert(k)
                operation = ModelOperation(index: index, call: op.call, ret: ret, input: .get, output: .value(value))
            case .add, .read:
                continue
            }
            if parts[key] == nil { order.append(key) }
            parts[key, default: []].append(operation)
        }
        return order.filter(read.contains).map { ModelPartition(label: $0, operations: parts[$0]!) }
    }
}
