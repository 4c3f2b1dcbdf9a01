/// What `flotilla load` found: how the operations came back, the monitor's violations and the
/// history's linearizability verdict. Encodes for `-o json`; `text` is what a terminal shows.
public struct LoadReport: Sendable, Encodable {
    public var engine: String
    /// Operations acknowledged, refused, and of unknown outcome (on an engine without a task
    /// queue, every operation of its workload counts as acknowledged).
    public var ok: Int
    public var failed: Int
    public var unknown: Int
    public var violations: [Violation]
    /// `ok`, `violated` or `unknown`.
    public var linearizable: String
    /// The lines a terminal shows.
    public var lines: [String]
    /// Writes sent and their rate (on Flotilla's node; nil on another engine's workload).
    public var sent: Int?
    public var writesPerSecond: Double?
    /// What the linearizable reads did, apart from the writes.
    public var reads: Reads?

    public struct Reads: Sendable, Encodable {
        public var sent: Int, ok: Int, failed: Int, partial: Int
        public var perSecond: Double
    }

    enum CodingKeys: String, CodingKey { case engine, sent, ok, failed, unknown, writesPerSecond, reads, violations, linearizable }

    /// No violation and a history that is not shown to be non-linearizable.
    public var passed: Bool { violations.isEmpty && linearizable != "violated" }
    public var text: String { lines.joined(separator: "\n") }
}
