/// Wing and Gong's search for a linearization of one partition, with Lowe's memo: a pair of
/// (operations linearized so far, model state) is explored once only.
///
/// Walking the events in time order, the search linearizes the first call it can (the model
/// accepts its answer, and the pair is new), takes it out of the list and starts over from the
/// front. Reaching the return of an operation not yet linearized means the order so far cannot
/// be finished: it undoes the last choice and tries the next call after it. Operations with no
/// deadline need not be linearized; the search succeeds once every other one is.
///
/// A read-only operation the model accepts is placed at once and is no choice: nothing that
/// could come first needs it later, and it leaves the state as it was, so if any order finishes,
/// one that places it now does too. Undoing it undoes the choice before it as well.
struct LinearizationSearch<Model: LinearizabilityModel> {
    private struct Visited: Hashable {
        var linearized: Bitset
        var state: Model.State
    }

    let model: Model
    let operations: [ModelOperation<Model.Input, Model.Output>]

    func run(_ budget: inout StepBudget, shouldStop: () -> Bool) -> SearchOutcome {
        var events = EventList(calls: operations.map(\.call), returns: operations.map(\.ret))
        var state = model.initialState
        var linearized = Bitset(count: operations.count)
        var owed = operations.count { $0.ret != nil }
        var visited = Set<Visited>()
        var choices: [(operation: Int, stateBefore: Model.State, forced: Bool)] = []
        var entry = events.after(events.head)

        /// Undoes the last choice (and the read-only operations placed after it) and moves on to
        /// the call after it; false when there is none.
        func backtrack() -> Bool {
            while let undone = choices.popLast() {
                state = undone.stateBefore
                linearized.remove(undone.operation)
                if operations[undone.operation].ret != nil { owed += 1 }
                events.unlift(undone.operation)
                if !undone.forced {
                    entry = events.after(undone.operation)
                    return true
                }
            }
            return false
        }

        while owed > 0 {
            guard budget.spend(asking: shouldStop) else { return .stopped }
            // At a return, which is an owed operation's (returns with no deadline come last),
            // the order so far cannot be finished.
            guard let current = entry, case (let i, false) = events.operation(of: current) else {
                if backtrack() { continue } else { return .notLinearizable }
            }
            let op = operations[i]
            if let after = model.step(state, op.input, op.output) {
                let forced = after == state && model.isReadOnly(op.input)
                var marked = linearized
                marked.insert(i)
                if visited.insert(Visited(linearized: marked, state: after)).inserted {
                    choices.append((i, state, forced))
                    state = after
                    linearized = marked
                    if op.ret != nil { owed -= 1 }
                    events.lift(i)
                    entry = events.after(events.head)
                    continue
                }
                // Seen before, so it led nowhere; a forced placement means nothing else can.
                if forced {
                    if backtrack() { continue } else { return .notLinearizable }
                }
            }
            entry = events.after(current)
        }
        return .linearizable
    }
}
