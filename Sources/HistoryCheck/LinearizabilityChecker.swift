/// Checks a client history for linearizability against a model, in the manner of Porcupine:
/// each partition on its own, by Wing and Gong's search with Lowe's memo.
public enum LinearizabilityChecker {
    /// Whether `history` is linearizable under `model`.
    ///
    /// `budget` bounds the search steps, so a check always ends: when they run out, or when
    /// `shouldStop` (asked every thousand steps or so; a caller's deadline) says stop, the verdict
    /// is `.unknown`. Partitions are checked in the model's order, and the first that fails is
    /// narrowed to its failing window with a budget of the same size again; if that runs out, the
    /// smallest window found so far is reported, which still fails.
    public static func check<Model: LinearizabilityModel>(
        _ history: [HistoryOperation], model: Model, budget: Int, shouldStop: () -> Bool = { false }
    ) -> Verdict {
        var steps = StepBudget(steps: budget)
        let partitions = model.partition(history)
        for (checked, partition) in partitions.enumerated() {
            switch LinearizationSearch(model: model, operations: partition.operations).run(&steps, shouldStop: shouldStop) {
            case .linearizable:
                continue
            case .notLinearizable:
                var narrowing = StepBudget(steps: budget)
                let found = WindowNarrowing(model: model, operations: partition.operations)
                    .narrow(&narrowing, shouldStop: shouldStop)
                let indices = found.window.map { partition.operations[$0].index }
                return .notLinearizable(FailingWindow(
                    partition: partition.label,
                    operations: indices.map { history[$0] },
                    indices: indices,
                    failing: found.window.firstIndex(of: found.failing)!
                ))
            case .stopped:
                let why = steps.stoppedByCaller ? "the caller stopped the check" : "the budget of \(budget) search steps ran out"
                return .unknown(reason: "\(why) after \(checked) of \(partitions.count) partitions")
            }
        }
        return .linearizable
    }
}
