/// The task table as clients see it: a grow-only set of idempotency keys. A submit adds its key
/// (a resubmit changes nothing); a read returns every key present.
///
/// The check splits the history by key, as Porcupine does for its key-value model: each key's
/// state is one Bool (present or not), and each whole-table read becomes, for every key, a read
/// of that key alone with the same call and return. A per-key history is linearizable on its own
/// (P-compositionality), so the split keeps each search small. It is weaker than checking
/// whole-table reads together, though: a read is one snapshot of all keys, and per-key checks
/// cannot see that. Two concurrent reads that see {a} and {b} while a and b are being added
/// pass key by key, yet no single order of the four operations explains both.
public struct TaskSetModel: LinearizabilityModel {
    /// What one per-key operation does.
    public enum Input: Hashable, Sendable {
        case add
        case read
    }

    /// What one per-key operation answered.
    public enum Output: Hashable, Sendable {
        /// An add answers nothing beyond having happened.
        case added
        /// A read saw the key, or did not.
        case saw(present: Bool)
    }

    public init() {}

    public var initialState: Bool { false }

    public func step(_ present: Bool, _ input: Input, _ output: Output) -> Bool? {
        switch (input, output) {
        case (.add, .added): true
        case (.read, .saw(present)): present
        default: nil
        }
    }

    public func isReadOnly(_ input: Input) -> Bool { input == .read }

    public func partition(_ history: [HistoryOperation]) -> [ModelPartition<Input, Output>] {
        KeySplit(history).partitions()
    }
}
