import FlotillaAPI

/// Where a load's operations go: one engine's way to write a key and to read back, linearizably,
/// which of a load's keys are there. The generator (`LoadGenerator`) keeps the rate, the retries
/// and the history; a client knows its engine's addresses and what its errors mean. Flotilla's
/// node takes a write as a task submit keyed by the load key (its idempotency key) and a read as
/// a page of the task table; etcd takes a put of the key and a range read of the load's prefix.
/// Both histories are sets of keys, so one model (`TaskSetModel`) judges either.
public protocol LoadClient: Sendable {
    /// Where the load's `load on`/`load off` events go.
    var events: EventSink { get }
    /// Writes `key` once; `fresh` asks for the target to be looked up again (a retry after an
    /// error). A retry writes the same key, so it can never count twice. Returns what the
    /// engine's answer said of the write.
    func write(_ key: String, _ submission: TaskSubmission, fresh: Bool) async throws -> LoadWrite
    /// A linearizable read of the keys under `prefix`, at most `limit` of them.
    func read(prefix: String, limit: Int) async throws -> LoadRead
    /// Whether `error` came before anything was proposed, so the write cannot have committed.
    func refusedBeforeProposing(_ error: any Error) -> Bool
    /// Whether a write refused with `error` would be refused again: it is not retried.
    func isFinal(_ error: any Error) -> Bool
    /// What the engine's writes are, when they are not tasks of the plan's kind (`puts`).
    var writeNoun: String? { get }
}

/// What a write's answer said: the id the engine gave it (a task's id; nil where the engine
/// makes none) and where the store placed the key, in the order reads are scoped by (a task's
/// number; etcd's create revision of the key), nil when the answer does not say.
public struct LoadWrite: Sendable, Equatable {
    public var id: String?
    public var position: Int?

    public init(id: String? = nil, position: Int? = nil) {
        self.id = id
        self.position = position
    }
}

/// What one read saw: the keys, and whether that is all of them (`complete` false: the answer
/// was cut off or the store forgot keys meanwhile, so an absent key proves nothing). A complete
/// read `from` a position saw every key placed there or later (a task's number: a write's
/// answer `t-42` places its key at 42; see `LoadWrite`), and nothing of the keys placed earlier.
public struct LoadRead: Sendable, Equatable {
    public var keys: [String]
    public var complete: Bool
    public var from: Int?

    public init(keys: [String], complete: Bool, from: Int? = nil) {
        self.keys = keys
        self.complete = complete
        self.from = from
    }
}

extension LoadClient {
    public var writeNoun: String? { nil }

    /// A write's outcome from its attempts: `.ok` once acknowledged; `.fail` only when every
    /// attempt was refused before proposing; `.unknown` when any attempt may have committed.
    func outcome(acknowledged: Bool, errors: [any Error]) -> LoadGenerator.Operation.Outcome {
        if acknowledged { return .ok }
        return !errors.isEmpty && errors.allSatisfy(refusedBeforeProposing) ? .fail : .unknown
    }
}
