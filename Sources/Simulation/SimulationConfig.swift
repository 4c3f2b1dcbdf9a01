/// What one simulated run does. The seed alone decides everything random in it.
public struct SimulationConfig: Sendable {
    public var seed: UInt64
    /// Voters at the start.
    public var nodes: Int = 5
    /// Ticks of the faulty phase; a tick is 10 ms of simulated time.
    public var steps: Int = 2000
    /// Ids beyond the founders that membership changes may add.
    public var spareNodes: Int = 2
    /// Inject partitions, crashes, membership changes and transfers.
    public var faults: Bool = true
    /// Per-message network behaviour while faults run.
    public var dropRate: Double = 0.02
    public var duplicateRate: Double = 0.01
    /// Messages take 1...maxDelay ticks; different delays reorder them.
    public var maxDelay: Int = 3
    /// Chance per tick that a quiet cluster gets a new fault.
    public var faultRate: Double = 0.01
    /// How long a lasting fault (partition, crash) holds, in ticks.
    public var faultTicks: ClosedRange<Int> = 30...330
    /// Ticks the cluster gets, once faults stop, to elect a leader and commit.
    public var livenessTicks: Int = 600
    /// Entries between state-machine snapshots on each node.
    public var compactEvery: Int = 250
    /// Client submits started per 100 ticks.
    public var submitsPer100Ticks: Int = 40
    /// Client linearizable reads started per 100 ticks.
    public var readsPer100Ticks: Int = 30
    /// Task slots per node.
    public var slots: Int = 2
    /// Record a human-readable trace (costly; for reproducing one seed).
    public var keepTrace: Bool = false
    /// Every node starts on empty storage as a founder (`--peers`) and the cluster is founded by
    /// the runtime's founder check, its questions and answers on the simulated network; while
    /// founders are still deciding, the nemesis restarts them, some with other `--slots`, and
    /// one at a time with other `--peers` (put right when it restarts that one again, or when the
    /// faults end): nobody may found while the founders disagree on who they are.
    public var foundFromEmpty: Bool = false
    /// A deliberate bug in the simulated runtime, to prove the checker catches it.
    public var injectedBug: InjectedBug?
    /// The faults the nemesis draws from; nil for all of them. A test hook with no command-line
    /// flag (so `reproduceCommand` cannot express it): tests that set it report it with their seeds.
    var onlyFaults: [Fault]?

    public init(seed: UInt64) { self.seed = seed }

    /// One seed in four runs the node's production flow control (64 appends in flight, 256
    /// entries per append, 256 KiB snapshot chunks: `RaftConfig`'s defaults); the others run
    /// small windows. Decided by the seed, so a seed's reproduce command keeps it.
    public var productionFlowControl: Bool { seed % 4 == 0 }

    /// The command line that reruns exactly this configuration.
    public var reproduceCommand: String {
        var parts = ["flotilla sim --seed \(seed) --nodes \(nodes) --steps \(steps)"]
        let defaults = SimulationConfig(seed: seed)
        if !faults { parts.append("--no-faults") }
        if faultRate != defaults.faultRate { parts.append("--fault-rate \(faultRate)") }
        if faultTicks != defaults.faultTicks { parts.append("--fault-ticks \(faultTicks.lowerBound)-\(faultTicks.upperBound)") }
        if foundFromEmpty { parts.append("--found-from-empty") }
        if let injectedBug { parts.append("--inject-bug \(injectedBug.rawValue)") }
        return parts.joined(separator: " ")
    }
}

/// Bugs the simulator can plant in its own node runtime. Tests run seeds with one of
/// these and expect the invariant checker to object: a checker that never fails proves nothing.
public enum InjectedBug: String, Sendable, CaseIterable {
    /// fsync is skipped: writes reach the disk only every 50 ticks, yet messages (votes,
    /// acknowledgements) leave at once, so a crash loses what peers were told was stored.
    case lazyFsync = "lazy-fsync"
    /// The runtime applies entries as soon as they are on disk, before they commit.
    case applyUncommitted = "apply-uncommitted"
    /// A node whose disk was wiped founds the cluster again on its own and takes part as the
    /// member it was (no founder check, no incarnations compared): the amnesia the runtime refuses.
    case amnesia
    /// Linearizable reads are answered from the node's own state at once, by any node, without
    /// ReadIndex's round to a quorum: a follower behind, or a leader already deposed, reads stale.
    case staleReads = "stale-reads"
}
