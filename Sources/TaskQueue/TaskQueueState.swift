/// The replicated task queue: a pure, deterministic state machine. Every replica that applies
/// the same commands in the same order holds the same state and produces the same effects.
public struct TaskQueueState: Sendable {
    /// Every task ever submitted, in submission order; the task at position `i` has id `t-(i+1)`.
    var records: [TaskRecord] = []
    /// Idempotency key -> task position.
    var positionByKey: [String: Int] = [:]
    /// The queued tasks in FIFO order.
    var fifo = TaskFIFO()
    /// Node -> positions of the tasks assigned to or running on it.
    var activeByNode: [String: Set<Int>] = [:]
    /// Queued tasks without a target, and queued tasks per target: lets the scheduler stop early.
    var queuedUntargeted = 0
    var queuedByTarget: [String: Int] = [:]
    /// Task count per state, indexed by `TaskState.code`.
    var stateCounts = [Int](repeating: 0, count: TaskState.allCases.count)
    /// Argument sets already held, so tasks submitted with equal arguments share one dictionary
    /// (a heap block of some 130 bytes each otherwise). A cache: not part of the state's value.
    var sharedArgs = Set<[String: String]>()

    /// Starts, completions and failures rejected for a stale epoch or a wrong node.
    public internal(set) var staleRejections = 0
    /// Completions accepted: one per succeeded task.
    public internal(set) var acceptedCompletions = 0

    /// An empty queue.
    public init() {}

    /// The task with `id`, if it exists.
    public func task(_ id: TaskID) -> TaskRecord? {
        position(of: id).map { records[$0] }
    }

    /// The task submitted under idempotency key `key`, if any.
    public func task(forKey key: String) -> TaskRecord? {
        positionByKey[key].map { records[$0] }
    }

    /// Every task, in submission order.
    public var tasks: [TaskRecord] { records }

    /// How many tasks the table holds, in every state.
    public var taskCount: Int { records.count }

    /// How many tasks wait in the queue.
    public var queuedCount: Int { fifo.count }

    /// The queued tasks, first to be scheduled first.
    public var queued: [TaskID] { fifo.positions.map { records[$0].id } }

    /// The number of tasks in each state (every state present, zero included).
    public func counts() -> [TaskState: Int] {
        var out: [TaskState: Int] = [:]
        for state in TaskState.allCases { out[state] = stateCounts[state.code] }
        return out
    }

    /// The number of tasks assigned to or running on `node`.
    public func load(on node: String) -> Int {
        activeByNode[node]?.count ?? 0
    }

    /// The position of the task named `id`: ids are `t-N` with N = position + 1, so no index is kept.
    func position(of id: TaskID) -> Int? {
        let utf8 = id.utf8
        guard utf8.count > 2, utf8.count <= 22 else { return nil }
        var it = utf8.makeIterator()
        guard it.next() == UInt8(ascii: "t"), it.next() == UInt8(ascii: "-") else { return nil }
        var n = 0
        var digits = 0
        while let byte = it.next() {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            if digits == 0 && byte == UInt8(ascii: "0") { return nil }  // no leading zeros: one spelling per id
            let (times10, o1) = n.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            n = sum
            digits += 1
        }
        guard n >= 1, n <= records.count else { return nil }
        return n - 1
    }

    /// `args`, or an equal argument set already held, whose storage it then shares.
    mutating func shared(_ args: [String: String]) -> [String: String] {
        if args.isEmpty { return args }
        if let i = sharedArgs.firstIndex(of: args) { return sharedArgs[i] }
        if sharedArgs.count < Self.sharedArgsLimit { sharedArgs.insert(args) }
        return args
    }

    /// At most this many distinct argument sets are kept for sharing.
    static let sharedArgsLimit = 1024

    /// The id of the task at `position`.
    static func id(forPosition position: Int) -> TaskID { "t-\(position + 1)" }
}

extension TaskQueueState: Equatable {
    /// Equal when the tasks, the queue order and the counters are equal; indexes are derived from those.
    public static func == (lhs: TaskQueueState, rhs: TaskQueueState) -> Bool {
        lhs.staleRejections == rhs.staleRejections
            && lhs.acceptedCompletions == rhs.acceptedCompletions
            && lhs.records == rhs.records
            && lhs.fifo.positions == rhs.fifo.positions
    }
}
