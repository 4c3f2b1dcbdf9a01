import FlotillaAPI
import NodeCore
import PeerTransport
import RaftCore
import TaskQueue

/// The operations behind the admin API, independent of HTTP: each either answers from the
/// driver's published state or goes through the driver's inbox and waits for the outcome.
struct NodeAPI: Sendable {
    let config: NodeConfig
    let driver: RaftDriver
    let transport: PeerTransport
    let events: EventLog
    let metrics: NodeMetrics
    /// How long a write waits for its entry to apply before answering "unknown", and the writes waiting.
    let deadlines: WriteDeadlines
    /// Joins held for an operator's decision (with --approve-joins).
    let pendingJoins = PendingJoins()
    /// Set when the node begins to shut down: waiting writes are answered and new ones refused.
    let shutdown = ShutdownState()
    /// Task lists held while being sent, and being built, at once (`AnswerSlotsMiddleware`).
    let answerSlots = AnswerSlots(count: 8)
    let answerBuilders = AnswerSlots(count: 2)
    /// Set while `POST /v1/faults/freeze` holds the node still.
    let freeze = NodeFreeze()

    /// The answer to a write the shutdown cut short.
    var shuttingDown: APIError {
        APIError("node \(config.id) is shutting down; a write in flight may or may not have committed — retry on another node with the same key",
                 code: .unavailable)
    }

    var status: NodeStatus { driver.board.status }

    /// The node's own disk and clock faults (the link faults are the transport's).
    var localFaults: LocalFaults { driver.localFaults }

    /// The leader's admin address when this node is a follower that knows one.
    var redirectTarget: String? {
        let s = status
        guard s.role != .leader, let leader = s.leader else { return nil }
        return s.members.first { $0.id == leader }?.adminAddress
    }

    /// Proposes a task-queue command and waits until it applies (or fails, or times out).
    func propose(_ command: Command) async throws(APIError) -> [Effect] {
        try await wait { proposal in driver.inbox.push(.propose(command, proposal)) }
    }

    func propose(_ change: ConfChange) async throws(APIError) -> [Effect] {
        try await wait { proposal in driver.inbox.push(.confChange(change, proposal)) }
    }

    /// Waits until a read of the task queue here is linearizable (ReadIndex: a quorum confirmed
    /// this node leads, and it applied everything committed when the read began).
    func linearizableRead() async throws(APIError) {
        _ = try await wait { proposal in driver.inbox.push(.read(reply: { r in proposal.finish(r.map { [] }) })) }
    }

    private func wait(_ enqueue: (Proposal) -> Void) async throws(APIError) -> [Effect] {
        let box = Once<Result<[Effect], APIError>>()
        let refusal = shuttingDown
        guard let registration = shutdown.register({ box.resume(.failure(refusal)) }) else { throw refusal }
        defer { shutdown.unregister(registration) }
        let result: Result<[Effect], APIError> = await withCheckedContinuation { c in
            box.set(c)
            enqueue(Proposal { r in box.resume(r) })
            deadlines.add { [timeout = deadlines.timeout] in
                box.resume(.failure(APIError("no outcome within \(timeout); the write may or may not have committed — retry with the same key", code: .timeout)))
            }
        }
        return try result.get()
    }

    func submit(_ s: TaskSubmission) async throws(APIError) -> SubmitResult {
        if s.kind == "shell", !config.allowShell {
            throw APIError("shell tasks are disabled: start the nodes with --allow-shell to run them", code: .badRequest)
        }
        if let problem = RequestValidation.problem(s) { throw APIError(problem, code: .badRequest) }
        guard TaskKinds.all.contains(s.kind) else {
            throw APIError("unknown task kind \"\(s.kind)\"; known kinds: \(TaskKinds.all.sorted().joined(separator: ", "))", code: .badRequest)
        }
        let spec = TaskSpec(kind: s.kind, args: s.args ?? [:], target: s.target, maxAttempts: s.maxAttempts ?? 3, timeoutMs: s.timeoutMs)
        if let target = s.target, !status.members.contains(where: { $0.id == target }) {
            throw APIError("target \(target) is not a member of the cluster", code: .badRequest)
        }
        // At most 15 bytes, so Swift keeps the key inline rather than in a heap block of its own.
        let key = s.key ?? "a-" + String(UInt64.random(in: 1...UInt64.max), radix: 36)
        let effects = try await propose(.submit(key: key, spec: spec, at: wallClockMs()))
        for e in effects {
            switch e {
            case let .created(id, _): return SubmitResult(id: id, duplicate: false)
            case let .duplicate(id, _):
                return SubmitResult(id: id, duplicate: true, removed: await driver.wasRemoved(id) ? true : nil)
            case .rejected(let why): throw APIError("submit rejected: \(why)", code: .badRequest)
            default: continue
            }
        }
        throw APIError("the submit applied without an outcome", code: .internal)
    }

    /// One page of the task table; see `RaftDriver.taskList`.
    func tasks(state: FlotillaAPI.TaskState?, node: String?, limit: Int, after: String? = nil, ascending: Bool = false) async -> TaskList {
        // A state this version does not know matches no task.
        let core = state.map { TaskQueue.TaskState(rawValue: $0.rawValue) }
        if case .some(.none) = core { return TaskList(tasks: [], total: 0) }
        return await driver.taskList(state: core ?? nil, node: node, limit: limit, after: after, ascending: ascending,
                                     scanLimit: Self.pageScanLimit)
    }

    /// The most tasks one page looks at (a filtered page may come back short, with a `next`).
    static let pageScanLimit = 20_000

    /// One page of the remembered keys of removed tasks.
    func removedKeys(from: Int, limit: Int) async -> RemovedKeyList { await driver.removedKeys(from: from, limit: limit) }

    func task(_ id: String) async -> TaskView? { await driver.taskView(id) }

    /// True when `id` named a task that retention removed.
    func wasRemoved(_ id: String) async -> Bool { await driver.wasRemoved(id) }

    /// Adds a joining node as a learner, or holds it for approval; true when it was added.
    func join(_ join: JoinRequest, approved: Bool = false) async throws(APIError) -> Bool {
        if let problem = RequestValidation.problem(id: join.id, raftAddress: join.raftAddress, adminAddress: join.adminAddress, slots: join.slots) {
            throw APIError(problem, code: .badRequest)
        }
        let presented = join.incarnation.flatMap(Incarnation.parse)
        if join.incarnation != nil, presented == nil || presented == 0 {
            throw APIError("incarnation must be 16 hex digits, not 0", code: .badRequest)
        }
        if let member = status.members.first(where: { $0.id == join.id }) {
            if let known = member.incarnation.flatMap(Incarnation.parse), let presented, presented != known {
                throw APIError(Incarnation.amnesia(join.id, known: known, presented: presented), code: .conflict)
            }
            throw APIError("\(join.id) is already a member", code: .badRequest)
        }
        if config.approveJoins, !approved {
            if pendingJoins.denied(join.id) {
                throw APIError("the join of \(join.id) was denied by an operator", code: .conflict)
            }
            if pendingJoins.hold(join) {
                events.record("membership", term: status.term, "\(join.id) asks to join; waiting for an operator's approval")
            }
            return false
        }
        let address = MemberAddress(raft: join.raftAddress, admin: join.adminAddress, slots: join.slots ?? 0, incarnation: presented ?? 0).encoded
        _ = try await propose(.addLearner(join.id, address: address))
        return true
    }

    /// An operator's decision on a pending join.
    func decide(_ id: String, approve: Bool) async throws(APIError) {
        guard let request = pendingJoins.take(id, deny: !approve) else {
            throw APIError("no join from \(id) is pending", code: .notFound)
        }
        if approve {
            _ = try await join(request, approved: true)
        } else {
            events.record("membership", term: status.term, "the join of \(id) was denied")
        }
    }

    /// Founds the cluster on this uninitialized node.
    func bootstrap(_ request: BootstrapRequest) async throws(APIError) {
        for m in request.members {
            if let problem = RequestValidation.problem(id: m.id, raftAddress: m.raftAddress, adminAddress: m.adminAddress, slots: nil) {
                throw APIError(problem, code: .badRequest)
            }
        }
        guard request.members.contains(where: { $0.id == config.id }) else {
            throw APIError("the founders must include this node (\(config.id))", code: .badRequest)
        }
        let membership = Membership(request.members.map {
            Member(id: $0.id, isVoter: $0.voter, address: MemberAddress(raft: $0.raftAddress, admin: $0.adminAddress, slots: config.slots).encoded)
        })
        let box = Once<Result<Void, APIError>>()
        let result: Result<Void, APIError> = await withCheckedContinuation { c in
            box.set(c)
            driver.inbox.push(.bootstrap(membership, reply: { box.resume($0) }))
        }
        try result.get()
    }

    func transfer(to: String?) async throws(APIError) -> String {
        let box = Once<Result<String, APIError>>()
        let result: Result<String, APIError> = await withCheckedContinuation { c in
            box.set(c)
            driver.inbox.push(.transfer(to: to, reply: { box.resume($0) }))
        }
        return try result.get()
    }
}
