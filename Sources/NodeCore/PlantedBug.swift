/// Bugs that can be planted in a node's core, only to prove the checkers catch them: a
/// checker that never fails proves nothing. No node sets one unless a test asks.
public enum PlantedBug: String, Sendable, CaseIterable {
    /// Entries are applied as soon as they are stored, before they commit.
    case applyUncommitted = "apply-uncommitted"
    /// Linearizable reads are answered from the node's own state at once, without asking a
    /// quorum whether it still leads: a deposed leader serves stale reads.
    case staleReads = "stale-reads"
}
