import FlotillaAPI
import Foundation

/// One line of a transcript (JSON Lines). Every line carries `type` and `t`, the seconds
/// since the session started.
public enum TranscriptLine: Sendable, Equatable {
    case header(TranscriptHeader)
    /// An operator action and its outcome.
    case action(ActionLine)
    /// A change observed in the cluster, a recovery finding, an invariant verdict, a task state change.
    case event(EventLine)
    /// One client operation of the load generator: the history a checker reads.
    case op(OperationLine)
    /// A compact status of every node, written when something changed.
    case status(StatusLine)

    public var t: Double {
        switch self {
        case .header(let h): h.t
        case .action(let a): a.t
        case .event(let e): e.t
        case .op(let o): o.t
        case .status(let s): s.t
        }
    }

    public var type: String {
        switch self {
        case .header: "header"
        case .action: "action"
        case .event: "event"
        case .op: "op"
        case .status: "status"
        }
    }
}

/// `{"type":"action"}`: `t` is when the action was given; `tookMs` how long it ran.
public struct ActionLine: Sendable, Codable, Equatable {
    public var t: Double
    public var verb: String
    public var target: String?
    public var args: [String: String]?
    /// key k, command, cli, recovery, replay; "… via scale-down" for a step of another action.
    public var by: String
    public var ok: Bool
    /// The outcome as the operator read it, or the error.
    public var result: String
    public var tookMs: Int
    /// The command as it was given (version 2 on): what a replay performs. Version-1 lines have
    /// none and are read from `verb`, `target` and `args` (`OperatorCommand(recorded:)`).
    public var command: OperatorCommand?

    public init(t: Double, verb: String, target: String? = nil, args: [String: String]? = nil, by: String, ok: Bool, result: String, tookMs: Int,
                command: OperatorCommand? = nil) {
        self.command = command
        self.t = t
        self.verb = verb
        self.target = target
        self.args = args
        self.by = by
        self.ok = ok
        self.result = result
        self.tookMs = tookMs
    }

    /// An action an operator gave, not one taken for them (by recovery) or as a step of another.
    public var isOperators: Bool { by != "recovery" && !by.contains(" via ") }

    public var summary: String {
        ([verb] + [target].compactMap { $0 } + (args ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
    }
}

/// `{"type":"event"}`.
public struct EventLine: Sendable, Codable, Equatable {
    public var t: Double
    /// observed, recovery, invariant, load, action (an action's progress).
    public var kind: String
    /// election, leader-lost, term, node-up, node-down, membership, join, task, invariant, recovery-…
    public var category: String?
    public var node: String?
    public var message: String
    public var reason: String?
    public var ok: Bool
    public var durationMs: Int?
    /// For task state changes: the task, its new state, its kind and attempts so far.
    public var task: String?
    public var state: TaskState?
    public var taskKind: String?
    public var attempts: Int?
    /// For a task's first change: when it was submitted, on the session's clock (0 when before
    /// the recording began). Playback counts the task's age from it.
    public var submittedT: Double?

    public init(t: Double, kind: String, category: String? = nil, node: String? = nil, message: String, reason: String? = nil, ok: Bool = true,
                durationMs: Int? = nil, task: String? = nil, state: TaskState? = nil, taskKind: String? = nil, attempts: Int? = nil,
                submittedT: Double? = nil) {
        self.submittedT = submittedT
        self.t = t
        self.kind = kind
        self.category = category
        self.node = node
        self.message = message
        self.reason = reason
        self.ok = ok
        self.durationMs = durationMs
        self.task = task
        self.state = state
        self.taskKind = taskKind
        self.attempts = attempts
    }
}

/// `{"type":"op"}`: `t` is when the submit was called, `returnedT` when it returned.
public struct OperationLine: Sendable, Codable, Equatable {
    public var t: Double
    public var returnedT: Double
    public var key: String
    /// ok, fail or unknown.
    public var outcome: String
    public var task: String?
    public var error: String?
    /// A linearizable read's answer: the load's keys it saw (absent for a submit).
    public var seen: [String]?
    /// A read of part of the table: it saw every key placed from this position on (absent: all).
    public var from: Int?
    /// Where the store placed a write's key (a task's number, etcd's create revision), when its
    /// answer said.
    public var position: Int?

    public init(t: Double, returnedT: Double, key: String, outcome: String, task: String? = nil, error: String? = nil,
                seen: [String]? = nil, from: Int? = nil, position: Int? = nil) {
        self.seen = seen
        self.from = from
        self.position = position
        self.t = t
        self.returnedT = returnedT
        self.key = key
        self.outcome = outcome
        self.task = task
        self.error = error
    }
}

extension TranscriptLine: Codable {
    enum TypeKey: String, CodingKey { case type }

    public init(from decoder: any Decoder) throws {
        let type = try decoder.container(keyedBy: TypeKey.self).decode(String.self, forKey: .type)
        switch type {
        case "header": self = .header(try TranscriptHeader(from: decoder))
        case "action": self = .action(try ActionLine(from: decoder))
        case "event": self = .event(try EventLine(from: decoder))
        case "op": self = .op(try OperationLine(from: decoder))
        case "status": self = .status(try StatusLine(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: try decoder.container(keyedBy: TypeKey.self),
                                                   debugDescription: "unknown line type \"\(type)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: TypeKey.self)
        try c.encode(type, forKey: .type)
        switch self {
        case .header(let h): try h.encode(to: encoder)
        case .action(let a): try a.encode(to: encoder)
        case .event(let e): try e.encode(to: encoder)
        case .op(let o): try o.encode(to: encoder)
        case .status(let s): try s.encode(to: encoder)
        }
    }
}
