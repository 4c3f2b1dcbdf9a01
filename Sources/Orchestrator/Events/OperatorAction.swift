import Foundation

/// An operator action in a form that can be run again: the verb and target as the operator
/// gave them (`isolate leader`, not the node that happened to lead), who gave it, and when.
public struct OperatorAction: Sendable, Codable, Equatable {
    /// kill, restart, pause, resume, partition, isolate, delay, loss, duplicate, reorder, disk, skew, heal, mend, panic, transfer, scale-up,
    /// scale-down, scale, approve, deny, submit, cancel, load, recover.
    public var verb: String
    public var target: String?
    public var args: [String: String]?
    /// Who asked: `key k`, `command`, `cli`, `recovery`, `replay`.
    public var by: String
    public var startedAt: Date
    /// The operator command this action carries out, as it was given (nil: an action no command
    /// asked for, such as recovery's own, or one recorded before commands were stored).
    public var command: OperatorCommand?

    public init(verb: String, target: String? = nil, args: [String: String]? = nil, by: String = ActionOrigin.current, startedAt: Date = Date(),
                command: OperatorCommand? = CommandInFlight.current) {
        self.verb = verb
        self.target = target
        self.args = args
        self.by = by
        self.startedAt = startedAt
        self.command = command
    }

    /// `kill n2`, `partition n1,n2|n3`, `submit sleep ms=100`.
    public var summary: String {
        ([verb] + [target].compactMap { $0 } + (args ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ")
    }
}

/// Who is acting, carried through the operations as a task-local value: the console sets
/// `key k` or `command`, the CLI leaves the default.
public enum ActionOrigin {
    @TaskLocal public static var current = "cli"
}
