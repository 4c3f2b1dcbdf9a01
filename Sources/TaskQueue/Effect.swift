/// What applying a command did, for the proposer's reply, events and metrics.
public enum Effect: Sendable, Equatable {
    case created(TaskID, key: String)
    /// A submit with a known idempotency key: no new task; carries the existing id.
    case duplicate(TaskID, key: String)
    case assigned(TaskID, node: String, epoch: UInt64)
    case started(TaskID, node: String, epoch: UInt64)
    /// The accepted completion: at most one per task, ever.
    case succeeded(TaskID, node: String, epoch: UInt64)
    /// Back in the queue after a failure or timeout; `attempt` is the number the next assign will make.
    case retried(TaskID, attempt: Int)
    case failed(TaskID)
    case timedOut(TaskID)
    case cancelled(TaskID)
    /// Taken back from an unreachable node; the next assign fences that node out.
    case requeued(TaskID, from: String)
    /// Retention removed `tasks` finished tasks and forgot `keys` keys of tasks removed earlier.
    case expired(tasks: Int, keys: Int)
    case rejected(Rejection)
}
