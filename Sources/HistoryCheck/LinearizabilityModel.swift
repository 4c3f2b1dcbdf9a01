/// A sequential specification the checker holds a history to: a state, how each operation
/// moves it, and how a history splits into parts that can be checked on their own.
public protocol LinearizabilityModel {
    associatedtype State: Hashable
    associatedtype Input
    associatedtype Output

    /// The state before any operation.
    var initialState: State { get }

    /// The state after an operation with `input` that answered `output`, or nil when the
    /// operation could not have answered that in `state`.
    func step(_ state: State, _ input: Input, _ output: Output) -> State?

    /// Whether an operation with `input` only looks: no answer it gives ever changes the state.
    /// The search places such an operation as soon as it fits, trying no other order for it,
    /// which keeps many concurrent reads from multiplying the orders to try.
    func isReadOnly(_ input: Input) -> Bool

    /// The history split into independent parts, each checked alone. Failed operations are left
    /// out; an operation with no deadline gets a nil return.
    func partition(_ history: [HistoryOperation]) -> [ModelPartition<Input, Output>]
}

extension LinearizabilityModel {
    /// No operation is taken to be read-only unless the model says so.
    public func isReadOnly(_ input: Input) -> Bool { false }
}
