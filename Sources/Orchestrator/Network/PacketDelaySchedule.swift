import BinaryCoding

/// When each queued packet goes back to the kernel: the releaser's bookkeeping, pure (time is
/// handed in as nanoseconds, randomness comes from a seeded generator), so the release order
/// for a seed and a sequence of arrivals can be checked without a socket.
///
/// A packet is held for its link's delay ± jitter (uniform per packet), plus one more hold for
/// the link's reorder share; packets leave in order of release time, arrival order breaking
/// ties, so jitter and reordering let later packets overtake earlier ones. At most `capacity`
/// packets are held: one more is refused (the releaser drops it) and counted.
public struct PacketDelaySchedule: Sendable {
    /// A packet waiting for its release time.
    public struct Held: Sendable, Equatable {
        public var packet: UInt32
        public var releaseAt: Int64
        var arrival: UInt64
    }

    public let capacity: Int
    /// The held packets, soonest release first.
    public private(set) var held: [Held] = []
    public private(set) var admitted = 0
    public private(set) var released = 0
    /// Packets refused because `capacity` were already held.
    public private(set) var dropped = 0
    /// Packets given the extra reorder hold.
    public private(set) var reordered = 0
    private var random: SplitMix64
    private var arrivals: UInt64 = 0

    public init(seed: UInt64, capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
        random = SplitMix64(seed: seed)
    }

    /// Takes `packet`, arriving at `now` on a link held per `rule` (nil: no rule, it leaves at
    /// once, behind what is already due). Its release time, or nil when the queue is full and
    /// the packet is to be dropped.
    public mutating func admit(_ packet: UInt32, rule: DelayRule?, now: Int64) -> Int64? {
        guard held.count < capacity else {
            dropped += 1
            return nil
        }
        var hold: Int64 = 0
        if let rule {
            let ms: Int64 = 1_000_000
            hold = Int64(rule.delayMs) * ms
            if rule.jitterMs > 0 {
                let span = Int64(rule.jitterMs) * ms
                hold += Int64(random.below(Int(2 * span + 1))) - span
            }
            if rule.reorderPercent > 0, random.chance(Double(rule.reorderPercent) / 100) {
                hold += Int64(rule.reorderHoldMs) * ms
                reordered += 1
            }
        }
        let entry = Held(packet: packet, releaseAt: now + max(0, hold), arrival: arrivals)
        arrivals += 1
        admitted += 1
        // After every packet due no later (arrival order breaks ties).
        var low = 0, high = held.count
        while low < high {
            let mid = (low + high) / 2
            if held[mid].releaseAt <= entry.releaseAt { low = mid + 1 } else { high = mid }
        }
        held.insert(entry, at: low)
        return entry.releaseAt
    }

    /// The soonest release time, nil when nothing is held.
    public var nextRelease: Int64? { held.first?.releaseAt }

    /// The packets due at `now`, in release order; they leave the schedule.
    public mutating func due(now: Int64) -> [UInt32] {
        var count = 0
        while count < held.count, held[count].releaseAt <= now { count += 1 }
        let out = held.prefix(count).map(\.packet)
        held.removeFirst(count)
        released += count
        return out
    }

    /// Every held packet, in release order, now (the releaser stopping): none is lost.
    public mutating func drain() -> [UInt32] {
        let out = held.map(\.packet)
        released += out.count
        held = []
        return out
    }
}
