/// One verb of the operator grammar: how it is typed and read, what it does, what each argument
/// is (for Tab completion), and where else it can be given (console keys, the CLI, chaos), so
/// reading, the help, completion and the README's fault table come from one row.
public struct VerbForm: Sendable {
    /// What an argument position holds, for completion.
    public enum Slot: Sendable, Equatable {
        /// A node id.
        case node
        /// A node id or `leader`.
        case nodeOrLeader
        /// A node id, `leader` or `all`.
        case nodeTarget
        /// `n1->n2`, `n1<->n2`, a node or `all`.
        case links
        /// A partition: a shape name or groups of node ids.
        case shape
        /// One of these words.
        case choice([String])
        /// Typed by hand (an amount, a task id).
        case typed
    }

    public var name: String
    /// `delay LINKS DURATION [JITTER]`.
    public var usage: String
    public var help: String
    /// A `:` line that works, e.g. `delay n1->n2 100ms 20ms`.
    public var example: String
    public var slots: [Slot]
    /// The console keys that give it.
    public var keys: [String]
    /// The CLI form, e.g. `delay 'n1->n2' 100ms --jitter 20ms`.
    public var cli: String
    /// The chaos nemesis's kind that injects it, if one does.
    public var chaos: String?
    /// The `PUT /v1/faults` field that holds it, if it is a fault rule.
    public var apiField: String?
    /// Reads the words after the verb into the command.
    public var read: @Sendable (VerbArguments) throws -> OperatorCommand
}
