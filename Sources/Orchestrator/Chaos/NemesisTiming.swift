/// How a nemesis paces its faults: a warm-up before the first, how long each holds, and the
/// quiet time after each heal.
public struct NemesisTiming: Sendable, Equatable, Codable {
    /// Before the first fault, so the load is running and a leader is settled.
    public var warmupMs: Int
    /// How long a fault holds before its heal.
    public var holdMs: ClosedRange<Int>
    /// Quiet time after a heal before the next fault.
    public var gapMs: ClosedRange<Int>
    /// What the schedule plans for a heal itself (a restart, a verified heal, a removal).
    public var healMs: Int

    public init(warmupMs: Int, holdMs: ClosedRange<Int>, gapMs: ClosedRange<Int>, healMs: Int) {
        self.warmupMs = warmupMs
        self.holdMs = holdMs
        self.gapMs = gapMs
        self.healMs = healMs
    }

    /// For runs of a minute or more.
    public static let standard = NemesisTiming(warmupMs: 2_000, holdMs: 1_500...5_000, gapMs: 1_000...3_000, healMs: 1_000)
    /// For short runs (tests): more faults per second, each held briefly.
    public static let quick = NemesisTiming(warmupMs: 1_000, holdMs: 600...1_500, gapMs: 300...800, healMs: 500)
}
