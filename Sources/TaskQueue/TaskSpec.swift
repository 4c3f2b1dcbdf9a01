/// What to run: a task kind with its arguments, where it may run, and how often to retry it.
public struct TaskSpec: Sendable, Equatable, Codable {
    /// The task kind, e.g. `sleep`, `echo`, `hash`, `fail`, `shell`.
    public var kind: String
    /// Kind-specific arguments.
    public var args: [String: String]
    /// The node id the task must run on, or nil to let the scheduler choose.
    public var target: String?
    /// How many assignments the task may use before a failure or timeout is final (at least 1).
    public var maxAttempts: Int
    /// How long one attempt may take before the leader times it out, or nil for no limit.
    public var timeoutMs: UInt64?

    public init(
        kind: String,
        args: [String: String] = [:],
        target: String? = nil,
        maxAttempts: Int = 3,
        timeoutMs: UInt64? = nil
    ) {
        self.kind = kind
        self.args = args
        self.target = target
        self.maxAttempts = maxAttempts
        self.timeoutMs = timeoutMs
    }

    enum CodingKeys: String, CodingKey {
        case kind, args, target, maxAttempts, timeoutMs
    }

    /// Decodes leniently: only `kind` is required, the other fields take the `init` defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        args = try c.decodeIfPresent([String: String].self, forKey: .args) ?? [:]
        target = try c.decodeIfPresent(String.self, forKey: .target)
        maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? 3
        timeoutMs = try c.decodeIfPresent(UInt64.self, forKey: .timeoutMs)
    }

    /// Why a submit of this spec under `key` must be rejected, or nil when it is acceptable.
    static func problem(key: String, spec: TaskSpec) -> String? {
        if key.isEmpty { return "the idempotency key must not be empty" }
        if spec.kind.isEmpty { return "the task kind must not be empty" }
        if spec.maxAttempts < 1 { return "maxAttempts must be at least 1, got \(spec.maxAttempts)" }
        if spec.timeoutMs == 0 { return "timeoutMs must be positive when set" }
        if spec.target == "" { return "the target must be a node id or absent" }
        return nil
    }
}
