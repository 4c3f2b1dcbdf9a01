/// Capped exponential backoff with jitter between failed dials to one peer.
public struct ReconnectBackoff: Sendable, Equatable {
    public var min: Duration
    public var max: Duration

    public init(min: Duration = .milliseconds(50), max: Duration = .seconds(2)) {
        precondition(min > .zero && min <= max, "backoff needs 0 < min <= max")
        self.min = min
        self.max = max
    }

    /// The wait before the next dial after `failures` consecutive failures (1 or more):
    /// `min * 2^(failures-1)` capped at `max`, then jittered into its upper half, never below `min`.
    public func delay(afterFailures failures: Int, using rng: inout some RandomNumberGenerator) -> Duration {
        let lo = Self.nanoseconds(min)
        let hi = Self.nanoseconds(max)
        let shift = Swift.min(Swift.max(failures - 1, 0), 40)
        let (scaled, overflow) = lo.multipliedReportingOverflow(by: Int64(1) << shift)
        let base = overflow ? hi : Swift.min(scaled, hi)
        let half = base / 2
        let jittered = half + Int64.random(in: 0...(base - half), using: &rng)
        return .nanoseconds(Swift.max(jittered, lo))
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
