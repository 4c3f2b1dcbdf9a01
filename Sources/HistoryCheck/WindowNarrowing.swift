/// Narrows a failing partition to its smallest failing window (see `FailingWindow` for the
/// definition): the longest linearizable cut by binary search over return times, then single
/// operations dropped, earliest call first, while the rest still fails at the same operation.
///
/// Every probe is a full search and spends from the budget; when it runs out, the smallest
/// window found so far stands, which always fails.
struct WindowNarrowing<Model: LinearizabilityModel> {
    typealias Operation = ModelOperation<Model.Input, Model.Output>

    let model: Model
    /// The failing partition's operations.
    let operations: [Operation]

    /// The window's operations (positions in `operations`, earliest call first) and which of
    /// them is the failing one.
    func narrow(_ budget: inout StepBudget, shouldStop: () -> Bool) -> (window: [Int], failing: Int) {
        let returns = Array(Set(operations.compactMap(\.ret))).sorted()
        // The whole partition fails, and so does its cut at the last return: only operations
        // with no deadline come after it, and the search never owes those.
        var failingCut = returns.count - 1
        var passingCut = -1
        while passingCut + 1 < failingCut {
            let middle = (passingCut + failingCut) / 2
            let cut = returns[middle]
            let all = operations.indices.filter { operations[$0].call <= cut }
            guard let failsThere = fails(all, cutAt: cut, &budget, shouldStop) else { break }
            if failsThere { failingCut = middle } else { passingCut = middle }
        }
        let end = returns[failingCut]
        var window = operations.indices.filter { operations[$0].call <= end }
            .sorted { (operations[$0].call, $0) < (operations[$1].call, $1) }
        let failing = window.first { operations[$0].ret == end }!

        var position = 0
        while position < window.count {
            guard window[position] != failing else {
                position += 1
                continue
            }
            var smaller = window
            smaller.remove(at: position)
            guard let stillFails = fails(smaller, cutAt: end, &budget, shouldStop),
                  let failsBefore = fails(smaller, cutAt: end - 1, &budget, shouldStop)
            else { break }
            if stillFails && !failsBefore { window = smaller } else { position += 1 }
        }
        return (window, failing)
    }

    /// Whether `chosen`, cut at `cut` (an operation returning later has no deadline), fails;
    /// nil when the budget ran out first.
    private func fails(_ chosen: [Int], cutAt cut: Int64, _ budget: inout StepBudget, _ shouldStop: () -> Bool) -> Bool? {
        let cutOperations = chosen.map { i in
            var op = operations[i]
            if let ret = op.ret, ret > cut { op.ret = nil }
            return op
        }
        switch LinearizationSearch(model: model, operations: cutOperations).run(&budget, shouldStop: shouldStop) {
        case .linearizable: return false
        case .notLinearizable: return true
        case .stopped: return nil
        }
    }
}
