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
/// One page: `next`, when present, is the `after` cursor of the following page; `total` counts
/// every task matching the filters, `removed` the finished tasks retention removed so far.
public struct TaskList: Codable, Sendable, Equatable {
    public var tasks: [TaskView]
    public var total: Int
    public var next: String?
    public var removed: Int?

    public init(tasks: [TaskView], total: Int, next: String? = nil, removed: Int? = nil) {
        self.tasks = tasks
        self.total = total
        self.next = next
        self.removed = removed
    }
}

/// A removed task's idempotency key that the node still remembers (inside the key window).
public struct RemovedKeyView: Codable, Sendable, Equatable {
    public var key: String
    /// The task the key made.
    public var id: String
    public var submittedAt: UInt64

    public init(key: String, id: String, submittedAt: UInt64) {
        self.key = key
        self.id = id
        self.submittedAt = submittedAt
    }
}

/// `GET /v1/keys`: one page of the remembered keys, in the order their tasks were removed.
/// `next` is the `after` cursor of the following page; `removed` counts the tasks removed so
/// far and `forgotten` the keys that left the key window.
public struct RemovedKeyList: Codable, Sendable, Equatable {
    public var keys: [RemovedKeyView]
    public var next: Int?
    public var removed: Int
    public var forgotten: Int

    public init(keys: [RemovedKeyView], next: Int?, removed: Int, forgotten: Int) {
        self.keys = keys
        self.next = next
        self.removed = removed
        self.forgotten = forgotten
    }
}

/// The answer to a committed submit.
public struct SubmitResult: Codable, Sendable, Equatable {
    public var id: String
    /// True when the key was known and no new task was made.
    public var duplicate: Bool
    /// True on a duplicate whose task retention already removed (the key window still remembers
    /// the key): `id` is the task the first submit made; reading it answers 404.
    public var removed: Bool?

    public init(id: String, duplicate: Bool, removed: Bool? = nil) {
        self.id = id
        self.duplicate = duplicate
        self.removed = removed
    }
}

extension TaskView {
    /// 42 for the task id "t-42" (ids are made in order from t-1 and never reused); nil for
    /// anything else, "t-042" and "t-0" included.
    public static func number(of id: String) -> Int? {
        guard id.hasPrefix("t-"), id.utf8.count <= 22, let n = Int(id.dropFirst(2)), n >= 1, "t-\(n)" == id else { return nil }
        return n
    }
}
