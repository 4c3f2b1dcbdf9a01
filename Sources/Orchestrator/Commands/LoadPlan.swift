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

    /// The most operations per second a load takes.
    public static let maxRate = 5000.0
}
