/// How a `ClusterSession` runs its loop: how often it looks, where a look comes from, and which
/// of monitor and recovery follow each look. A consumer whose timing differs (the console's frame
/// rate, chaos's sampler) sets it here instead of polling for itself.
public struct SessionOptions: Sendable {
    /// Where each round's snapshot comes from.
    public enum Feed: Sendable, Equatable {
        /// The engine's own stream (`Engine.snapshots(every:)`): Flotilla's watchers long-poll
        /// each node, so a change shows without waiting for the next round.
        case watch
        /// One `snapshot()` per round, timed: the tick says when the look started and returned
        /// (chaos measures a leader's return from those).
        case poll
    }

    /// Time between rounds.
    public var interval: Duration = .milliseconds(200)
    public var feed: Feed = .watch
    /// Whether the invariant monitor checks each snapshot.
    public var monitor = true
    /// Every this many rounds the monitor also compares the nodes' log hashes (0: never; Flotilla only).
    public var hashProbeEvery = 25
    /// Every this many rounds the monitor also reads the task table (epochs, completions; 0: never; Flotilla only).
    public var taskCheckEvery = 0
    /// What recovery may do (on etcd: for a cluster Flotilla launched).
    public var recovery: RecoveryMode = .off
    /// The nodes' base election timeout, for recovery's no-leader alert.
    public var electionMs = 300
    /// Recovery proposes replacing a member down this many seconds; nil: never.
    public var replaceAfter: Double?
    /// Two automatic recovery actions on one node within this many seconds need an operator.
    public var recoveryCooldown: Double = 30
    /// SIGINT or SIGTERM cancels the work `ClusterSession.run` does, and the session still closes
    /// (an owned cluster is stopped). Off where the caller watches the signals itself.
    public var stopOnSignal = false
    /// How long `heal` waits for its verification.
    public var healTimeout: Duration = .seconds(5)

    public init() {}
}
