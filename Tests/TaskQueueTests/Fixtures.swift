import TaskQueue

/// Small builders shared by the test files.
enum Fixtures {
    static func spec(
        _ kind: String = "echo", target: String? = nil, maxAttempts: Int = 3, timeoutMs: UInt64? = nil
    ) -> TaskSpec {
        TaskSpec(kind: kind, args: ["text": "hi"], target: target, maxAttempts: maxAttempts, timeoutMs: timeoutMs)
    }

    /// Submits one task per key and returns their ids.
    @discardableResult
    static func submit(_ state: inout TaskQueueState, keys: [String], spec: TaskSpec = spec(), at: UInt64 = 1) -> [TaskID] {
        keys.map { key in
            guard case let .created(id, _)? = state.apply(.submit(key: key, spec: spec, at: at)).first else {
                return "not-created"
            }
            return id
        }
    }

    /// One command of every case, with awkward values (empty strings, non-ASCII, extremes).
    static let everyCase: [Command] = [
        .submit(key: "k-1", spec: TaskSpec(kind: "echo"), at: 0),
        .submit(
            key: "ключ/🔑",
            spec: TaskSpec(kind: "shell", args: ["cmd": "ls -l", "": "empty", "é": "accent"],
                           target: "n2", maxAttempts: Int(Int32.max), timeoutMs: UInt64.max),
            at: UInt64.max),
        .assign(task: "t-1", node: "n1", epoch: 1, at: 10),
        .assign(task: "", node: "", epoch: UInt64.max, at: UInt64.max),
        .start(task: "t-7", node: "n3", epoch: 300, at: 1 << 40),
        .complete(task: "t-1", node: "n1", epoch: 1, result: "ok ✓", at: 12),
        .complete(task: "t-2", node: "n2", epoch: 2, result: "", at: 0),
        .fail(task: "t-1", node: "n1", epoch: 1, message: "exit status 1", at: 13),
        .cancel(task: "t-123456789", at: 99),
        .timeout(task: "t-3", epoch: 0, at: 5),
        .requeue(node: "n1", at: 1_700_000_000_000),
        .requeue(node: "", at: 0),
    ]
}

extension Effect {
    var isRejection: Bool {
        if case .rejected = self { true } else { false }
    }
}

extension [Effect] {
    /// True when every effect is a rejection (vacuously for none).
    var allRejected: Bool { allSatisfy(\.isRejection) }
    /// True when some effect is a rejection.
    var anyRejected: Bool { contains(where: \.isRejection) }
}
