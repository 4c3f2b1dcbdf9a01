import FlotillaAPI

/// One round of a `ClusterSession`: the snapshot and everything the loop made of it, as one value
/// every consumer reads (the console draws it, chaos samples it, replay collects its elections).
public struct SessionTick: Sendable {
    /// 1 for the first round.
    public var round: Int
    public var snapshot: ClusterSnapshot
    /// The changes `ChangeObserver` saw since the round before (already emitted on the engine's events).
    public var events: [ControlEvent]
    /// Violations the monitor found for the first time this round.
    public var violations: [Violation]
    /// Recovery's findings new this round (in advise mode, its advice).
    public var findings: [RecoveryFinding]
    /// When the look began and when it returned (equal for a watched feed).
    public var polledAt: ContinuousClock.Instant
    public var returnedAt: ContinuousClock.Instant

    public init(round: Int, snapshot: ClusterSnapshot, events: [ControlEvent] = [], violations: [Violation] = [],
                findings: [RecoveryFinding] = [], polledAt: ContinuousClock.Instant = .now, returnedAt: ContinuousClock.Instant = .now) {
        self.round = round
        self.snapshot = snapshot
        self.events = events
        self.violations = violations
        self.findings = findings
        self.polledAt = polledAt
        self.returnedAt = returnedAt
    }

    /// Recovery's messages of this round.
    public var advice: [String] { findings.map(\.message) }
}
