/// What an `expire` command asks every replica to remove, all decided by the proposer: finished
/// tasks that finished before `finishedBefore` or lie beyond the newest `keepFinished`, and the
/// remembered keys of removed tasks submitted before `keysBefore`; at most `limit` of each.
public struct RetentionLimits: Sendable, Equatable {
    /// Finished tasks whose last change is older than this (proposer's clock, ms) are removed.
    public var finishedBefore: UInt64
    /// At most this many finished tasks are kept; the earliest finished go first.
    public var keepFinished: Int
    /// Keys of removed tasks submitted before this are forgotten (and not remembered at all).
    public var keysBefore: UInt64
    /// At most this many tasks removed, and this many keys forgotten, by one command.
    public var limit: Int

    public init(finishedBefore: UInt64, keepFinished: Int, keysBefore: UInt64, limit: Int) {
        self.finishedBefore = finishedBefore
        self.keepFinished = keepFinished
        self.keysBefore = keysBefore
        self.limit = limit
    }
}
