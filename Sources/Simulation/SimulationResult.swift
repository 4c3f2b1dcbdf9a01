/// The outcome of one simulated run.
public struct SimulationResult: Sendable {
    public var config: SimulationConfig
    /// Ticks simulated, the liveness phase included.
    public var steps: Int
    public var violations: [Violation]
    /// Why the cluster failed to recover after the faults stopped, if it did.
    public var livenessFailure: String?
    /// A hash over every delivered message and role change: equal seeds give equal hashes.
    public var traceHash: UInt64
    public var trace: [String]
    public var stats: Stats

    public struct Stats: Sendable, Equatable {
        public var elections = 0
        public var faults = 0
        public var crashes = 0
        public var membershipChanges = 0
        public var transfers = 0
        public var snapshotsInstalled = 0
        /// Snapshots from the leader a node decoded off its loop and then dropped: the log had
        /// moved past them meanwhile, or a newer one had come.
        public var snapshotInstallsDropped = 0
        /// Times a node's full disk refused a batch (the node held it and retried).
        public var storageStalls = 0
        /// Power cuts in the middle of a node's disk writes.
        public var powerCuts = 0
        /// Slow or flaky links, slow disks and skewed clocks injected.
        public var slowLinks = 0
        public var slowDisks = 0
        public var clockSkews = 0
        /// Disks wiped; restarts refused for it (the founder check); members replaced afterwards.
        public var wipes = 0
        public var amnesiaRefused = 0
        public var replacements = 0
        /// Founders restarted before they had decided; entries 1 written by a founder check.
        public var founderRestarts = 0
        public var foundings = 0
        /// Founders restarted with other `--peers` than the rest, and decisions of a founder
        /// check that found the founders disagree on them (nobody founds meanwhile).
        public var founderMisconfigurations = 0
        public var founderConflicts = 0
        /// Raft messages dropped because one side's membership records another incarnation of the other.
        public var incarnationRefusals = 0
        public var submitsAcknowledged = 0
        /// Linearizable reads answered by a node, and how many of them the client checked
        /// against a write acknowledged (or a read answered) before the read began.
        public var readsServed = 0
        public var readsChecked = 0
        public var tasksSucceeded = 0
        public var finalCommit: UInt64 = 0
    }

    public var passed: Bool { violations.isEmpty && livenessFailure == nil }
}
