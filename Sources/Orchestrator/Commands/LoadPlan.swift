import FlotillaAPI
import Foundation

/// A steady load of submits (and linearizable reads): what `load on` starts, recorded in full
/// so a replay runs the same load.
public struct LoadPlan: Sendable, Hashable, Codable {
    /// Operations per second.
    public var rate: Double
    public var kind: String
    public var args: KeyValueList
    /// Every Nth operation is a linearizable read (0: none).
    public var readEvery: Int
    /// Stops by itself after this long (nil: until `load off`).
    public var duration: TimeSpan?

    public init(rate: Double, kind: String, args: KeyValueList = KeyValueList(), readEvery: Int = 0, duration: TimeSpan? = nil) {
        self.rate = rate
        self.kind = kind
        self.args = args
        self.readEvery = readEvery
        self.duration = duration
    }

    /// `load on` with nothing else: what the console's `l` key starts.
    public static let standard = LoadPlan(rate: 20, kind: "sleep", args: KeyValueList(["ms": "200"]), readEvery: 4)

    public var submission: TaskSubmission { TaskSubmission(kind: kind, args: args.values) }

    /// Reads per second: every `readEvery`th operation of `rate` is a linearizable read.
    public var readRate: Double { readEvery > 0 ? rate / Double(readEvery) : 0 }
    /// Submits (writes) per second: the operations that are not reads.
    public var writeRate: Double { rate - readRate }

    /// What the load sends, operations split into writes and reads:
    /// `20 ops/s: 15 writes/s of sleep + 5 reads/s (every 4th op a linearizable read)`.
    public var rateText: String { rateText(writing: nil) }

    /// The same, naming the writes as the engine does them (`puts` on etcd, which takes no task
    /// kind): `20 ops/s: 15 puts/s + 5 reads/s (…)`; nil names the task kind.
    public func rateText(writing writes: String?) -> String {
        let ops = "\(LoadPlan.number(rate)) ops/s: \(LoadPlan.number(writeRate)) " + (writes.map { "\($0)/s" } ?? "writes/s of \(kind)")
        guard readEvery > 0 else { return ops + ", no reads" }
        let nth = readEvery == 1 ? "every op" : "every \(LoadPlan.ordinal(readEvery)) op"
        return ops + " + \(LoadPlan.number(readRate)) reads/s (\(nth) a linearizable read)"
    }

    /// A rate as people write it: `15`, `37.5`, `6.67`.
    public static func number(_ x: Double) -> String {
        if x == x.rounded() { return String(Int(x)) }
        var s = String(format: "%.2f", x)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    /// `2nd`, `3rd`, `4th`, `11th`, `21st`.
    static func ordinal(_ n: Int) -> String {
        let tens = n % 100
        if (11...13).contains(tens) { return "\(n)th" }
        switch n % 10 {
        case 1: return "\(n)st"
        case 2: return "\(n)nd"
        case 3: return "\(n)rd"
        default: return "\(n)th"
        }
    }

    /// The most operations per second a load takes.
    public static let maxRate = 5000.0
}
