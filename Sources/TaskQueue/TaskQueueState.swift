/// The replicated task queue: a pure, deterministic state machine. Every replica that applies
/// the same commands in the same order holds the same state and produces the same effects.
public struct TaskQueueState: Sendable {
    /// The tasks held, in submission order; the task at position `i` has id `t-(i+1)`.
    var records = TaskTable()
    /// Positions handed out so far: the next task's position. Ids are never reused.
    var nextPosition = 0
    /// Idempotency key -> task position, for the tasks held.
    var positionByKey = ShardedDictionary<Int>()
    /// Finished tasks' positions in the order they finished: retention removes from the front.
    var finishedOrder = ArrivalQueue<Int>()
    /// Keys of removed tasks still inside the key window, in the order they were removed.
    var removedKeys = ArrivalQueue<RemovedKey>()
    /// Key -> task id of the removed tasks whose keys are remembered.
    var removedKeyIndex = ShardedDictionary<TaskID>()
    /// Keys forgotten so far: the first remembered key's serial number, for paging through them.
    public internal(set) var forgottenKeys = 0
    /// Finished tasks removed by retention so far.
    public internal(set) var removedTasks = 0
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

    /// The task submitted under idempotency key `key`, if held.
    public func task(forKey key: String) -> TaskRecord? {
        positionByKey[key].map { records[$0] }
    }

    /// The task a removed task's key made, while the key window remembers it.
    public func removedTask(forKey key: String) -> TaskID? { removedKeyIndex[key] }

    /// True when `id` names a task that was made and has since been removed by retention.
    public func wasRemoved(_ id: TaskID) -> Bool {
        guard let n = Self.number(of: id) else { return false }
        return n <= nextPosition && !records.contains(n - 1)
    }

    /// How many tasks held satisfy `matches` (one pass over the table).
    public func count(where matches: (TaskRecord) -> Bool) -> Int {
        var n = 0
        records.forEach { if matches($0) { n += 1 } }
        return n
    }

    /// Every task held, in submission order.
    public var tasks: [TaskRecord] { records.all }

    /// Up to `limit` tasks after `id` (nil: from the first) in id order, or before it (nil: from
    /// the last) newest first, that satisfy `matches`; at most `scanLimit` tasks are looked at.
    /// Returns them and, when the walk stopped early, the id to continue after.
    public func page(after id: TaskID?, descending: Bool, limit: Int, scanLimit: Int,
                     where matches: (TaskRecord) -> Bool) -> (tasks: [TaskRecord], next: TaskID?) {
        var out: [TaskRecord] = []
        var scanned = 0
        var last: Int?
        var more = false
        let start = id.flatMap(Self.number).map { $0 - 1 }
        if id != nil && start == nil { return ([], nil) }
        records.walk(after: start, descending: descending) { p, record in
            if out.count == limit || scanned == scanLimit {
                more = true
                return false
            }
            scanned += 1
            last = p
            if matches(record) { out.append(record) }
            return true
        }
        return (out, more ? last.map(Self.id(forPosition:)) : nil)
    }

    /// Up to `limit` remembered keys of removed tasks, from serial number `from` on (serials
    /// count every key ever remembered; forgotten ones are skipped), and the serial to go on from.
    public func removedKeys(from serial: Int, limit: Int) -> (keys: [RemovedKey], next: Int?) {
        let start = max(serial, forgottenKeys)
        var out: [RemovedKey] = []
        var offset = start - forgottenKeys
        while out.count < limit, let k = removedKeys.element(at: offset) {
            out.append(k)
            offset += 1
        }
        return (out, offset < removedKeys.count ? forgottenKeys + offset : nil)
    }

    /// The keys of every task held and every removed task still remembered (each once), for
    /// checks that every acknowledged submit is known.
    public var heldAndRememberedKeys: [String] {
        var keys: [String] = []
        keys.reserveCapacity(records.count + removedKeys.count)
        records.forEach { keys.append($0.key) }
        keys += removedKeys.elements.map(\.key)
        return keys
    }

    /// How many removed tasks' keys are remembered.
    public var rememberedKeyCount: Int { removedKeys.count }

    /// Every assigned or running task, in id order.
    public var activeTasks: [TaskRecord] {
        activeByNode.values.flatMap { $0 }.sorted().map { records[$0] }
    }

    /// How many tasks the table holds, in every state.
    public var taskCount: Int { records.count }

    /// How many finished tasks the table holds.
    public var finishedCount: Int { finishedOrder.count }

    /// How many tasks wait in the queue.
    public var queuedCount: Int { fifo.count }

    /// Whether `expire` with these limits would remove or forget anything.
    public func hasExpired(_ limits: RetentionLimits) -> Bool {
        if finishedOrder.count > limits.keepFinished { return true }
        if let p = finishedOrder.first, records[p].updatedAt < limits.finishedBefore { return true }
        if let k = removedKeys.first, k.submittedAt < limits.keysBefore { return true }
        return false
    }

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

    /// The position of the task named `id`, if held: ids are `t-N` with N = position + 1.
    func position(of id: TaskID) -> Int? {
        guard let n = Self.number(of: id), records.contains(n - 1) else { return nil }
        return n - 1
    }

    /// N of an id spelled `t-N` (no leading zeros, N >= 1), else nil.
    static func number(of id: TaskID) -> Int? {
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
        return n >= 1 ? n : nil
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
    /// Equal when the tasks, the queue and finishing orders, the remembered keys and the counters are equal; indexes are derived from those.
    public static func == (lhs: TaskQueueState, rhs: TaskQueueState) -> Bool {
        lhs.staleRejections == rhs.staleRejections
            && lhs.acceptedCompletions == rhs.acceptedCompletions
            && lhs.nextPosition == rhs.nextPosition
            && lhs.removedTasks == rhs.removedTasks
            && lhs.forgottenKeys == rhs.forgottenKeys
            && lhs.records == rhs.records
            && lhs.fifo.positions == rhs.fifo.positions
            && lhs.finishedOrder == rhs.finishedOrder
            && lhs.removedKeys == rhs.removedKeys
    }
}
