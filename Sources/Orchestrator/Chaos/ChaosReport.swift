/// What a chaos run found. `line` is the last line `flotilla chaos` prints; `failed` decides its exit status.
public struct ChaosReport: Sendable {
    /// The seed the schedule came from.
    public var seed: UInt64
    /// The faults the seed planned.
    public var schedule: [NemesisStep]
    /// Faults actually injected (a step can be skipped, e.g. a transfer with no leader to ask).
    public var injected = 0
    /// Steps not injected, with the reason.
    public var skipped: [String] = []
    /// The total-queue check of the task table against the clients' history.
    public var queue = QueueCheck()
    /// The invariant monitor's violations, liveness failures and tasks left unfinished.
    public var violations: [Violation] = []
    /// The longest stretch of the run without an effective leader.
    public var maxUnavailableMs = 0
    /// Per heal: milliseconds from the start of the heal to the first effective leader.
    public var leaderAfterHealMs: [Int] = []
    /// How the load's submits came back: acknowledged, refused, unknown.
    public var load = LoadGenerator.Summary()
    /// The monitor's check count over the run.
    public var checks = 0

    /// The clients' history of submits and linearizable reads, checked for linearizability
    /// (nil until checked), and its failing window drawn, when it failed.
    public var linearizable: String?
    public var historyLines: [String] = []

    public init(seed: UInt64, schedule: [NemesisStep]) {
        self.seed = seed
        self.schedule = schedule
    }

    /// True when anything was lost, duplicated or unexpected, or an invariant broke.
    public var failed: Bool { !queue.ok || !violations.isEmpty || linearizable == "violated" }

    /// `chaos: seed=S faults=F acked=A lost=L duplicated=D unexpected=U violations=V max_unavailable_ms=M`.
    public var line: String {
        "chaos: seed=\(seed) faults=\(injected) acked=\(queue.acknowledged) lost=\(queue.lost.count) "
            + "duplicated=\(queue.duplicated.count) unexpected=\(queue.unexpected.count) violations=\(violations.count) "
            + "max_unavailable_ms=\(maxUnavailableMs)" + (linearizable.map { " linearizable=\($0)" } ?? "")
    }

    /// The lines before the last: load outcomes, findings and violations.
    public var summary: [String] {
        var out = ["load: \(load.ok) acknowledged, \(load.failed) refused, \(load.unknown) unknown "
                   + "(\(queue.recovered) of the unknown committed, \(queue.indeterminate) did not)"]
        if !leaderAfterHealMs.isEmpty {
            out.append("leader after each heal: max \(leaderAfterHealMs.max()!) ms over \(leaderAfterHealMs.count) heals; monitor: \(checks) checks")
        }
        for s in skipped { out.append("skipped: \(s)") }
        out += queue.details
        out += historyLines
        for v in violations.prefix(20) { out.append("VIOLATION \(v)") }
        if violations.count > 20 { out.append("… \(violations.count - 20) more violations") }
        return out
    }
}
