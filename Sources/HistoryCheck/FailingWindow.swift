/// The smallest part of a history found to fail, around the first operation that could not be
/// linearized.
///
/// The checker finds it in one failing partition like this. Cut the partition's events at a time
/// T: keep the operations called by T, and treat those still running at T as never returned. The
/// longest linearizable cut ends just before some return; the operation returning there is the
/// failing one: everything before its return can be explained, its answer cannot. Then operations
/// are dropped one at a time, earliest call first, whenever what is left still fails at that same
/// operation (and is still linearizable just before it). What remains, checked alone with the
/// operations' real returns, still fails.
public struct FailingWindow: Equatable, Sendable {
    /// The partition that failed (the key, for `TaskSetModel`).
    public var partition: String
    /// The window's operations, earliest call first.
    public var operations: [HistoryOperation]
    /// Where each of `operations` stands in the checked history.
    public var indices: [Int]
    /// Which of `operations` could not be linearized.
    public var failing: Int

    public init(partition: String, operations: [HistoryOperation], indices: [Int], failing: Int) {
        self.partition = partition
        self.operations = operations
        self.indices = indices
        self.failing = failing
    }

    /// The operation that could not be linearized.
    public var failingOperation: HistoryOperation { operations[failing] }
}
