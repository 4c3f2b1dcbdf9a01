/// `POST /v1/tasks`.
public struct TaskSubmission: Codable, Sendable, Equatable {
    public var kind: String
    public var args: [String: String]?
    /// Idempotency key: a retried submit with the same key returns the same task. Generated when absent.
    public var key: String?
    /// Run only on this node.
    public var target: String?
    public var maxAttempts: Int?
    public var timeoutMs: UInt64?

    public init(kind: String, args: [String: String]? = nil, key: String? = nil, target: String? = nil,
                maxAttempts: Int? = nil, timeoutMs: UInt64? = nil) {
        self.kind = kind
        self.args = args
        self.key = key
        self.target = target
        self.maxAttempts = maxAttempts
        self.timeoutMs = timeoutMs
    }
}

/// One task as the API shows it.
public struct TaskView: Codable, Sendable, Equatable {
    public var id: String
    public var key: String
    public var kind: String
    public var args: [String: String]
    public var target: String?
    public var state: TaskState
    public var node: String?
    public var epoch: UInt64
    public var attempts: Int
    public var maxAttempts: Int
    public var submittedAt: UInt64
    public var updatedAt: UInt64
    public var result: String?
    public var error: String?
    /// When its latest run started (the worker's clock, ms since the epoch); nil until one did.
    public var startedAt: UInt64?

    public init(id: String, key: String, kind: String, args: [String: String], target: String?, state: TaskState,
                node: String?, epoch: UInt64, attempts: Int, maxAttempts: Int, submittedAt: UInt64,
                updatedAt: UInt64, result: String?, error: String?, startedAt: UInt64? = nil) {
        self.id = id
        self.key = key
        self.kind = kind
        self.args = args
        self.target = target
        self.state = state
        self.node = node
        self.epoch = epoch
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.submittedAt = submittedAt
        self.updatedAt = updatedAt
        self.result = result
        self.error = error
        self.startedAt = startedAt
    }
}

/// `GET /v1/tasks`.
public struct TaskList: Codable, Sendable, Equatable {
    public var tasks: [TaskView]
    public var total: Int

    public init(tasks: [TaskView], total: Int) {
        self.tasks = tasks
        self.total = total
    }
}

/// The answer to a committed submit.
public struct SubmitResult: Codable, Sendable, Equatable {
    public var id: String
    /// True when the key was known and no new task was made.
    public var duplicate: Bool

    public init(id: String, duplicate: Bool) {
        self.id = id
        self.duplicate = duplicate
    }
}
