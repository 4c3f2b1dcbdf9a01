/// One fault of a chaos schedule: when it starts, what it does to whom, and how long it
/// holds before it is healed. Targets like `leader` are resolved when the step runs.
public struct NemesisStep: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Milliseconds after the start of the run at which the fault is due.
    public var atMs: Int
    /// What the step does.
    public var fault: ChaosFault
    /// kill, pause, one-way: `leader` or a node id. partition: a partition spec
    /// (`leader`, `minority`, `majorities-ring`, `bridge` or groups like `n1,n3|n2`).
    /// transfer: `any` or a node id. scale: `+1`. link: links as `flotilla delay` takes them
    /// (`n1->n2`, `n1<->n2`, `n3`, `all`). disk, skew: `leader` or a node id.
    public var target: String
    /// How long the fault holds before its heal.
    public var holdMs: Int
    /// How much, for the kinds that say: link `delay 120ms 30ms`, `loss 20%`, `duplicate 30%` or
    /// `reorder 30%`; disk `slow 80ms` or `full`; skew `3x` or `0.5x`.
    public var value: String?

    public init(atMs: Int, fault: ChaosFault, target: String, holdMs: Int, value: String? = nil) {
        self.atMs = atMs
        self.fault = fault
        self.target = target
        self.holdMs = holdMs
        self.value = value
    }

    public var description: String {
        let at = seconds(atMs)
        let hold = seconds(holdMs)
        switch fault {
        case .kill: return "at \(at): kill \(target), restart after \(hold)"
        case .pause: return "at \(at): pause \(target), resume after \(hold)"
        case .partition: return "at \(at): partition \(target), heal after \(hold)"
        case .oneWay: return "at \(at): one-way cut of \(target)'s outgoing traffic, heal after \(hold)"
        case .transfer: return "at \(at): transfer leadership to \(target)"
        case .scale: return "at \(at): scale \(target), remove it again after \(hold)"
        case .link: return "at \(at): \(value ?? "?") on \(target), heal after \(hold)"
        case .disk: return "at \(at): disk of \(target) \(value ?? "?"), heal after \(hold)"
        case .skew: return "at \(at): clock of \(target) at \(value ?? "?"), heal after \(hold)"
        }
    }

    private func seconds(_ ms: Int) -> String {
        "\(ms / 1000).\(ms % 1000 / 100)s"
    }
}
