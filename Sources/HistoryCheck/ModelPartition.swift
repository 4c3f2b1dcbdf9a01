/// A part of a history that is checked on its own, such as every operation on one key.
public struct ModelPartition<Input, Output> {
    /// What the part is about, as a report names it (the key, for `TaskSetModel`).
    public var label: String
    public var operations: [ModelOperation<Input, Output>]

    public init(label: String, operations: [ModelOperation<Input, Output>]) {
        self.label = label
        self.operations = operations
    }
}

extension ModelPartition: Sendable where Input: Sendable, Output: Sendable {}
