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

    enum CodingKeys: String, CodingKey { case engine, ok, failed, unknown, violations, linearizable }

    /// No violation and a history that is not shown to be non-linearizable.
    public var passed: Bool { violations.isEmpty && linearizable != "violated" }
    public var text: String { lines.joined(separator: "\n") }
}
