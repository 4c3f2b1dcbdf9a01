import FlotillaAPI
import PeerTransport
import Synchronization
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
    /// How long a write waits for its entry to apply before answering "unknown".
    var proposalTimeout: Duration = .seconds(5)

    var status: NodeStatus { driver.published.withLock { $0.status } }

    /// The leader's admin address when this node is a follower that knows one.
    var redirectTarget: String? {
        let s = status
        guard s.role != "leader", let leader = s.leader else { return nil }
        return s.members.first { $0.id == leader }?.adminAddress
    }

    /// Proposes a task-queue command and waits until it applies (or fails, or times out).
    func propose(_ command: Command) async throws(APIError) -> [Effect] {
        try await wait { proposal in driver.inbox.push(.propose(command, proposal)) }
    }

    func propose(_ change: ConfChange) async throws(APIError) -> [Effect] {
        try await wait { proposal in driver.inbox.push(.confChange(change, proposal)) }
    }

    private func wait(_ enqueue: (Proposal) -> Void) async throws(APIError) -> [Effect] {
        let box = Once<Result<[Effect], APIError>>()
        let result: Result<[Effect], APIError> = await withCheckedContinuation { c in
            box.set(c)
            enqueue(Proposal { r in box.resume(r) })
            Task { [timeout = proposalTimeout] in
                try? await Task.sleep(for: timeout)
                box.resume(.failure(APIError("no outcome within \(timeout); the write may or may not have committed — retry with the same key", code: APIErrorCode.timeout)))
            }
        }
        return try result.get()
    }

    func submit(_ s: TaskSubmission) async throws(APIError) -> SubmitResult {
        if s.kind == "shell", !config.allowShell {
            throw APIError("shell tasks are disabled: start the nodes with --allow-shell to run them", code: APIErrorCode.badRequest)
        }
        guard TaskKinds.all.contains(s.kind) else {
            throw APIError("unknown task kind \"\(s.kind)\"; known kinds: \(TaskKinds.all.sorted().joined(separator: ", "))", code: APIErrorCode.badRequest)
        }
        let spec = TaskSpec(kind: s.kind, args: s.args ?? [:], target: s.target, maxAttempts: s.maxAttempts ?? 3, timeoutMs: s.timeoutMs)
        if let target = s.target, !status.members.contains(where: { $0.id == target }) {
            throw APIError("target \(target) is not a member of the cluster", code: APIErrorCode.badRequest)
        }
        let key = s.key ?? "auto-\(UInt64.random(in: 1...UInt64.max))"
        let effects = try await propose(.submit(key: key, spec: spec, at: wallClockMs()))
        for e in effects {
            switch e {
            case let .created(id, _): return SubmitResult(id: id, duplicate: false)
            case let .duplicate(id, _): return SubmitResult(id: id, duplicate: true)
            case .rejected(let why): throw APIError("submit rejected: \(why)", code: APIErrorCode.badRequest)
            default: continue
            }
        }
        throw APIError("the submit applied without an outcome", code: APIErrorCode.internal)
    }

    func tasks(state: String?, node: String?, limit: Int) async -> TaskList {
        await driver.taskList(state: state, node: node, limit: limit)
    }

    func task(_ id: String) async -> TaskView? { await driver.taskView(id) }

    func transfer(to: String?) async throws(APIError) -> String {
        let box = Once<Result<String, APIError>>()
        let result: Result<String, APIError> = await withCheckedContinuation { c in
            box.set(c)
            driver.inbox.push(.transfer(to: to, reply: { box.resume($0) }))
        }
        return try result.get()
    }
}

extension TaskView {
    init(_ t: TaskRecord) {
        self.init(id: t.id, key: t.key, kind: t.spec.kind, args: t.spec.args, target: t.spec.target, state: t.state.rawValue,
                  node: t.node, epoch: t.epoch, attempts: t.attempts, maxAttempts: t.spec.maxAttempts,
                  submittedAt: t.submittedAt, updatedAt: t.updatedAt, result: t.result, error: t.error)
    }
}

