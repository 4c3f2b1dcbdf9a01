/// The idempotency key of a task that retention removed, remembered until the key window passes
/// so a retry still answers with the task it made instead of making another.
public struct RemovedKey: Sendable, Equatable {
    public var key: String
    /// The task the key made.
    public var id: TaskID
    /// When that task was submitted (proposer's clock, ms): the key is forgotten once this falls
    /// out of the key window.
    public var submittedAt: UInt64

    public init(key: String, id: TaskID, submittedAt: UInt64) {
        self.key = key
        self.id = id
        self.submittedAt = submittedAt
    }
}
