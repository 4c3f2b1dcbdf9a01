/// Everything the replicated state knows about one task.
public struct TaskRecord: Sendable, Equatable {
    public var id: TaskID
    /// The idempotency key it was submitted under; unique across all tasks.
    public var key: String
    public var spec: TaskSpec
    public var state: TaskState
    /// The current assignee while assigned or running; the last one once final; nil while queued.
    public var node: String?
    /// The fencing epoch: 0 until the first assign, then bumped by every assign.
    public var epoch: UInt64
    /// How many times the task has been assigned.
    public var attempts: Int
    public var submittedAt: UInt64
    /// When the last accepted command changed this task (proposer's clock, milliseconds).
    public var updatedAt: UInt64
    /// The result of the accepted completion.
    public var result: String?
    /// The message of the last failure or timeout.
    public var error: String?
    /// When its latest run started (the worker's clock, milliseconds); nil until one did.
    public var startedAt: UInt64?

    public init(
        id: TaskID, key: String, spec: TaskSpec, state: TaskState, node: String?, epoch: UInt64,
        attempts: Int, submittedAt: UInt64, updatedAt: UInt64, result: String?, error: String?, startedAt: UInt64? = nil
    ) {
        self.id = id
        self.key = key
        self.spec = spec
        self.state = state
        self.node = node
        self.epoch = epoch
        self.attempts = attempts
        self.submittedAt = submittedAt
        self.updatedAt = updatedAt
        self.result = result
        self.error = error
        self.startedAt = startedAt
    }
}
