/// Why the state machine refused a command. A refused command changes nothing
/// except, for stale starts, completions and failures, the stale-rejection counter.
public enum Rejection: Sendable, Equatable {
    case unknownTask(TaskID)
    /// The command's fencing epoch is not the task's current one (or, for assign, not the next one).
    case staleEpoch(task: TaskID, expected: UInt64, got: UInt64)
    /// The command came from a node that does not hold the task (or, for assign, is not its target).
    case wrongNode(task: TaskID, expected: String?, got: String)
    case invalidState(task: TaskID, state: TaskState, command: String)
    case invalidSpec(String)
}
