/// What a chaos run does: its seed, how long the nemesis runs, which faults it may inject,
/// the load beside it and the bounds its checks hold the cluster to.
public struct ChaosConfig: Sendable, Equatable {
    /// Seeds the fault schedule (and nothing else): the same seed gives the same faults.
    public var seed: UInt64
    /// How long the nemesis injects faults (the heal and the checks come after).
    public var duration: Duration
    /// The kinds of fault the nemesis draws from.
    public var faults: [ChaosFault]
    /// How long faults hold and how much quiet lies between them.
    public var timing: NemesisTiming
    /// Task submits per second during the run.
    public var rate: Double
    /// After each heal, an effective leader must be seen within this.
    public var livenessBound: Duration
    /// After the run, every node must be back and agree within this.
    public var settleTimeout: Duration
    /// Every `readEvery`th client operation is a linearizable read; the history is then checked
    /// for linearizability (0: no reads, no check).
    public var readEvery = 4

    public init(seed: UInt64, duration: Duration, faults: [ChaosFault] = ChaosFault.allCases, timing: NemesisTiming = .standard,
                rate: Double = 20, livenessBound: Duration = .seconds(2), settleTimeout: Duration = .seconds(30)) {
        self.seed = seed
        self.duration = duration
        self.faults = faults
        self.timing = timing
        self.rate = rate
        self.livenessBound = livenessBound
        self.settleTimeout = settleTimeout
    }

    var durationMs: Int { duration.milliseconds }

    /// The schedule this configuration gives a cluster of these nodes.
    public func nemesis(nodes: [String]) -> Nemesis {
        Nemesis(seed: seed, nodes: nodes, faults: faults, durationMs: durationMs, timing: timing)
    }
}
