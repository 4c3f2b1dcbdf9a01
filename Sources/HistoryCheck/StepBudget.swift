/// How much more searching a check may do: a number of steps, and the caller's own stop signal,
/// asked every `askEvery` steps.
struct StepBudget {
    static let askEvery = 1024

    private(set) var remaining: Int
    private(set) var stoppedByCaller = false
    private var untilNextAsk = askEvery

    init(steps: Int) {
        remaining = steps
    }

    /// Takes one step from the budget; false when none is left or the caller said stop.
    mutating func spend(asking shouldStop: () -> Bool) -> Bool {
        guard remaining > 0, !stoppedByCaller else { return false }
        remaining -= 1
        untilNextAsk -= 1
        if untilNextAsk == 0 {
            untilNextAsk = Self.askEvery
            stoppedByCaller = shouldStop()
        }
        return !stoppedByCaller
    }
}
