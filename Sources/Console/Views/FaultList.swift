import Foundation
import Orchestrator

/// The fault list (`F`): every fault in force, one line each with who set it and when, the
/// selected one marked; what u and h do is on its first line.
enum FaultList {
    static let title = "What is broken now (u undoes, h heals all, Esc returns)"
    /// In playback the list is what was broken at the moment shown, and nothing can be undone.
    static let playbackTitle = "What was broken then (Esc returns)"

    static func lines(_ m: ConsoleModel, ascii: Bool) -> [String] {
        let entries = FaultLedger.entries(m.snapshot, events: m.events)
        if entries.isEmpty { return ["Nothing: no node reports a fault, none is paused or stopped."] }
        let selected = min(max(0, m.selectedFault), entries.count - 1)
        let kind = (entries.map(\.kind.count).max() ?? 4) + 2
        let target = (entries.map(\.target.count).max() ?? 4) + 2
        return entries.enumerated().map { i, e in
            let mark = i == selected ? (ascii ? "> " : "▶ ") : "  "
            return mark + e.kind.padding(toLength: kind, withPad: " ", startingAt: 0) + e.target.padding(toLength: target, withPad: " ", startingAt: 0)
                + (e.detail.isEmpty ? "" : e.detail + "  ") + origin(e)
        }
    }

    /// `key d at 23:41:02`, or that no event says.
    static func origin(_ e: FaultEntry) -> String {
        guard let by = e.setBy else { return "(set before this console, or outside it)" }
        return "by \(by)" + (e.setAt.map { " at \(ConsoleView.clockTime($0))" } ?? "")
    }

    /// A fault as the describe view lists it.
    static func line(_ e: FaultEntry) -> String {
        e.summary + "  " + origin(e)
    }
}
