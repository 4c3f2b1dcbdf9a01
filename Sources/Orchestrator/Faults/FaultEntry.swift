import Foundation

/// One fault in force, as the fault list (`F`) and `flotilla status` show it: what it is, on
/// which node or links, who set it and when (from the newest action event that set it), and
/// the commands that lift it.
public struct FaultEntry: Sendable, Equatable {
    /// cut, one-way cut, link (delay, loss, duplicates, reordering), disk, clock, paused, killed, died, stopped.
    public var kind: String
    /// The node or links it applies to: `n2`, `n1->n2`, `n1<->n3`, `all`.
    public var target: String
    /// What it does: `delay 100ms±20 loss 10%`, `slow-disk 50ms`, `clock 3x`.
    public var detail: String
    /// Who set it (`key d`, `command`, `cli`, `chaos`, `replay`), when an action event says so.
    public var setBy: String?
    public var setAt: Date?
    /// What lifts it, and only it: a cut is lifted by `mend` on its links, the other cuts stay.
    public var undo: [OperatorCommand]

    public init(kind: String, target: String, detail: String, setBy: String? = nil, setAt: Date? = nil, undo: [OperatorCommand]) {
        self.kind = kind
        self.target = target
        self.detail = detail
        self.setBy = setBy
        self.setAt = setAt
        self.undo = undo
    }

    /// `cut n1<->n2` or `delay n1->n2 delay 100ms±20`, without who set it.
    public var summary: String {
        detail.isEmpty ? "\(kind) \(target)" : "\(kind) \(target): \(detail)"
    }
}
