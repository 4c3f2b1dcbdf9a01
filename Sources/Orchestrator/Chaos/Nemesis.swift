import BinaryCoding

/// The fault schedule of a chaos run. It is a pure function of the seed, the node ids, the
/// enabled fault kinds, the duration and the timing (a seeded generator, no global randomness),
/// so the faults of any run can be reproduced from its seed.
public struct Nemesis: Sendable, Equatable {
    /// The seed of the schedule.
    public var seed: UInt64
    /// The cluster's node ids at the start, e.g. n1…n5.
    public var nodes: [String]
    /// The kinds drawn from.
    public var faults: [ChaosFault]
    /// Every step is due, and its heal planned, within this many milliseconds.
    public var durationMs: Int
    /// Warm-up, hold and gap lengths.
    public var timing: NemesisTiming

    public init(seed: UInt64, nodes: [String], faults: [ChaosFault] = ChaosFault.allCases, durationMs: Int,
                timing: NemesisTiming = .standard) {
        self.seed = seed
        self.nodes = nodes
        self.faults = faults
        self.durationMs = durationMs
        self.timing = timing
    }

    /// Every step due within the duration. The first steps take each enabled kind once, in a
    /// seeded order, so even a short run meets every kind; the rest are drawn at random.
    public func schedule() -> [NemesisStep] {
        guard !faults.isEmpty, !nodes.isEmpty else { return [] }
        var rng = SplitMix64(seed: seed ^ 0x6E65_6D65_7369_7321)
        var order = faults
        shuffle(&order, &rng)
        var steps: [NemesisStep] = []
        var t = timing.warmupMs
        while true {
            let fault = steps.count < order.count ? order[steps.count] : order[rng.below(order.count)]
            let hold = fault == .transfer ? 0 : draw(timing.holdMs, &rng)
            let target = target(for: fault, &rng)
            let value = value(for: fault, &rng)
            let gap = draw(timing.gapMs, &rng)
            // The step must be due, and its heal planned, within the duration.
            guard t + hold + timing.healMs <= durationMs else { break }
            steps.append(NemesisStep(atMs: t, fault: fault, target: target, holdMs: hold, value: value))
            t += hold + timing.healMs + gap
        }
        return steps
    }

    func target(for fault: ChaosFault, _ rng: inout SplitMix64) -> String {
        switch fault {
        case .kill, .pause, .oneWay, .disk, .skew:
            return rng.chance(0.5) ? "leader" : nodes[rng.below(nodes.count)]
        case .link:
            let a = nodes[rng.below(nodes.count)]
            let others = nodes.filter { $0 != a }
            switch others.isEmpty ? 0 : rng.below(4) {
            case 0: return a
            case 1: return "\(a)->\(others[rng.below(others.count)])"
            case 2: return "\(a)<->\(others[rng.below(others.count)])"
            default: return "all"
            }
        case .transfer:
            return rng.chance(0.3) ? "any" : nodes[rng.below(nodes.count)]
        case .scale:
            return "+1"
        case .partition:
            var shapes = ["leader", "minority", "halves"]
            if nodes.count >= 3 { shapes.append("bridge") }
            if nodes.count >= 5 { shapes.append("majorities-ring") }
            let shape = shapes[rng.below(shapes.count)]
            guard shape == "halves", nodes.count >= 2 else { return shape }
            var ids = nodes
            shuffle(&ids, &rng)
            let cut = 1 + rng.below(ids.count - 1)
            let sides = [Array(ids[..<cut]), Array(ids[cut...])].map { $0.sorted(by: idOrder).joined(separator: ",") }
            return sides.joined(separator: "|")
        }
    }

    /// How much of the fault, for the kinds that take an amount.
    func value(for fault: ChaosFault, _ rng: inout SplitMix64) -> String? {
        switch fault {
        case .link:
            switch rng.below(4) {
            case 0:
                let ms = draw(20...200, &rng)
                return "delay \(ms)ms \(draw(0...(ms / 2), &rng))ms"
            case 1: return "loss \(draw(5...40, &rng))%"
            case 2: return "duplicate \(draw(10...50, &rng))%"
            default: return "reorder \(draw(10...50, &rng))%"
            }
        case .disk:
            return rng.chance(0.5) ? "full" : "slow \(draw(20...150, &rng))ms"
        case .skew:
            return ["0.25x", "0.5x", "2x", "3x", "5x"][rng.below(5)]
        default:
            return nil
        }
    }

    /// Fisher-Yates with our own generator, so the order never depends on the standard library's algorithm.
    func shuffle<T>(_ a: inout [T], _ rng: inout SplitMix64) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            a.swapAt(i, rng.below(i + 1))
        }
    }

    func draw(_ range: ClosedRange<Int>, _ rng: inout SplitMix64) -> Int {
        range.lowerBound + rng.below(range.upperBound - range.lowerBound + 1)
    }
}
