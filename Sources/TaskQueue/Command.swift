/// A change to the task queue, proposed through the Raft log and applied by every replica.
/// `at` is the proposer's clock in milliseconds; the state machine never reads a clock itself.
public enum Command: Sendable, Equatable {
    /// Creates a task, unless `key` is already known (then the reply names the existing task).
    case submit(key: String, spec: TaskSpec, at: UInt64)
    /// Hands a queued task to `node`; `epoch` must be the task's epoch + 1.
    case assign(task: TaskID, node: String, epoch: UInt64, at: UInt64)
    /// The assignee began running the task.
    case start(task: TaskID, node: String, epoch: UInt64, at: UInt64)
    /// The assignee finished the task; accepted only from the current node and epoch.
    case complete(task: TaskID, node: String, epoch: UInt64, result: String, at: UInt64)
    /// The assignee's attempt failed; the task retries while attempts remain.
    case fail(task: TaskID, node: String, epoch: UInt64, message: String, at: UInt64)
    /// Stops a task that is not final yet.
    case cancel(task: TaskID, at: UInt64)
    /// The leader gave up on the attempt with `epoch`; the task retries while attempts remain.
    case timeout(task: TaskID, epoch: UInt64, at: UInt64)
    /// Takes every assigned or running task back from `node` (unreachable too long).
    case requeue(node: String, at: UInt64)
    /// Removes finished tasks and forgets the keys of removed ones, as `limits` says: the leader's
    /// retention, decided on its clock so every replica removes exactly the same tasks.
    case expire(RetentionLimits, at: UInt64)

    /// The command's name, as used in `Rejection.invalidState` and logs.
    public var name: String {
        switch self {
        case .submit: "submit"
        case .assign: "assign"
        case .start: "start"
        case .complete: "complete"
        case .fail: "fail"
        case .cancel: "cancel"
        case .timeout: "timeout"
        case .requeue: "requeue"
        case .expire: "expire"
        }
    }

    /// The proposer's timestamp carried by every command.
    public var at: UInt64 {
        switch self {
        case let .submit(_, _, at), let .assign(_, _, _, at), let .start(_, _, _, at),
             let .complete(_, _, _, _, at), let .fail(_, _, _, _, at), let .cancel(_, at),
             let .timeout(_, _, at), let .requeue(_, at), let .expire(_, at):
            at
        }
    }
}
