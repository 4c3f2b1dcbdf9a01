import HistoryCheck

/// Short ways to write hand-made histories: times in nanoseconds, outcome OK unless said.
func add(_ key: String, by client: Int = 1, _ call: Int64, _ ret: Int64?, _ outcome: HistoryOperation.Outcome = .ok,
         at position: Int? = nil) -> HistoryOperation {
    HistoryOperation(client: client, call: call, ret: ret, kind: .add(key: key), outcome: outcome, position: position)
}

func read(_ keys: Set<String>, by client: Int = 2, _ call: Int64, _ ret: Int64?,
          _ outcome: HistoryOperation.Outcome = .ok, from: Int? = nil) -> HistoryOperation {
    HistoryOperation(client: client, call: call, ret: ret, kind: .read(keys: keys), outcome: outcome, from: from)
}

/// The task-set check with a budget no test history comes near.
func check(_ history: [HistoryOperation]) -> Verdict {
    LinearizabilityChecker.check(history, model: TaskSetModel(), budget: 10_000_000)
}

extension Verdict {
    /// The failing window, when the verdict is a failure.
    var window: FailingWindow? {
        if case .notLinearizable(let window) = self { window } else { nil }
    }
}

func put(_ key: String, _ value: String, by client: Int = 1, _ call: Int64, _ ret: Int64?,
         _ outcome: HistoryOperation.Outcome = .ok) -> HistoryOperation {
    HistoryOperation(client: client, call: call, ret: ret, kind: .put(key: key, value: value), outcome: outcome)
}

func get(_ key: String, _ value: String?, by client: Int = 2, _ call: Int64, _ ret: Int64?,
         _ outcome: HistoryOperation.Outcome = .ok) -> HistoryOperation {
    HistoryOperation(client: client, call: call, ret: ret, kind: .get(key: key, value: value), outcome: outcome)
}

/// The key-value register check with a budget no test history comes near.
func checkRegisters(_ history: [HistoryOperation]) -> Verdict {
    LinearizabilityChecker.check(history, model: KVRegisterModel(), budget: 10_000_000)
}
