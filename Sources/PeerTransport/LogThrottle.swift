import NIOCore

/// Lets one warning of a kind through per interval and counts the ones held back, so a
/// stranger hammering the peer port cannot flood the log. Owned by the transport's event loop.
struct LogThrottle {
    let interval: TimeAmount
    private var lastLogged: [String: NIODeadline] = [:]
    private var suppressed: [String: Int] = [:]

    init(interval: TimeAmount = .seconds(10)) {
        self.interval = interval
    }

    /// Nil when a warning of `kind` was let through within the interval (this one is counted);
    /// otherwise how many were held back since the last one let through.
    mutating func allow(_ kind: String, now: NIODeadline = .now()) -> Int? {
        if let last = lastLogged[kind], now - last < interval {
            suppressed[kind, default: 0] += 1
            return nil
        }
        lastLogged[kind] = now
        return suppressed.removeValue(forKey: kind) ?? 0
    }
}
