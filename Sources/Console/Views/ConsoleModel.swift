import FlotillaAPI
import Foundation
import Orchestrator

/// Everything the console shows: a snapshot of the cluster plus the operator's state.
/// Views are functions of this model.
public struct ConsoleModel: Sendable {
    public var snapshot: ClusterSnapshot
    /// Newest last.
    public var events: [ControlEvent] = []
    public var tasks: [TaskView] = []
    public var selected = 0
    public var overlay: Overlay?
    /// Which panel the arrows move in: the nodes (the default) or the events (Tab, or a `/` filter).
    public var focus: Focus = .nodes
    /// The selected event while the events have the focus, counted back from the newest shown (0).
    public var selectedEvent = 0
    /// The first line shown in a scrolling overlay (help, history, an event); views clamp it.
    public var overlayScroll = 0
    /// How many lines the open overlay shows at once (what PgUp/PgDn move by); set from the screen size.
    public var overlayPage = 10
    /// The prompt's cursor (nil: after the last character) and where Up/Down stand in its history.
    public var promptCursor: Int?
    public var promptRecall: PromptRecall?
    /// Shown events contain this text (`/`).
    public var eventFilter = ""
    /// What Tab found when the word under the cursor has several completions.
    public var completions: [String] = []
    public var taskNode: String?
    public var taskState: TaskState?
    public var recovery: RecoveryMode = .advise
    public var loadOn = false
    /// What the load was last started with (its rate split into writes and reads), for the header.
    public var loadPlan: LoadPlan?
    public var recording = false
    /// Committed entries per second, oldest first (the header's sparkline).
    public var opsHistory: [Double] = []
    public var readonly = false
    /// Whether the engine has Flotilla's task queue (etcd has none: its load is puts).
    public var hasTasks = true
    /// Whether the nodes are local processes (kill, restart, pause and scale need that).
    public var local = true
    public var now = Date()
    /// Set while a recorded session plays back: the time bar.
    public var playback: PlaybackBar?
    /// The load's history as last checked for linearizability (when the load stopped); `H` shows it.
    public var history: HistoryReport?
    /// The tail of the described node's log (`node.log`, or the events about it), oldest first.
    public var nodeLog: [String] = []
    /// Whether a scrolling overlay keeps its end in view as lines arrive (a described node's log):
    /// on when it opens and at its end, off once the operator scrolls up.
    public var overlayFollows = false
    /// The fault the fault list (`F`) has selected.
    public var selectedFault = 0
    /// The nodes refused this console's token (`--connect` with none or a wrong one): the keys
    /// that change the cluster are marked, and the header says so.
    public var tokenRefused = false

    public init(snapshot: ClusterSnapshot) { self.snapshot = snapshot }

    public var selectedNode: String? {
        snapshot.nodes.indices.contains(selected) ? snapshot.nodes[selected].id : nil
    }

    public var visibleEvents: [ControlEvent] {
        eventFilter.isEmpty ? events : events.filter { $0.line.localizedCaseInsensitiveContains(eventFilter) }
    }

    /// The event the events panel has selected, if it has the focus and shows one.
    public var selectedVisibleEvent: ControlEvent? {
        let shown = visibleEvents
        guard focus == .events, !shown.isEmpty else { return nil }
        return shown[shown.count - 1 - min(max(0, selectedEvent), shown.count - 1)]
    }

    public var visibleTasks: [TaskView] {
        tasks.filter { t in (taskNode.map { t.node == $0 } ?? true) && (taskState.map { t.state == $0 } ?? true) }
    }
}

/// What covers part of the screen and takes the keys until Esc.
public enum Overlay: Sendable, Equatable {
    case help
    /// The last linearizability check of the load's history, and its failing window.
    case history
    /// A line of input: a `:` command, a `/` filter, or a submit prompt.
    case prompt(kind: PromptKind, text: String)
    /// A one-key confirmation of a destructive action.
    case confirm(String, ConsoleAction)
    /// One event whole (Enter on a selected event).
    case event(ControlEvent)
    /// One node described (Enter on a node row): its indexes, replication, faults, exit and log.
    case node(String)
    /// Every fault in force (`F`), with who set it; `u` undoes the selected one, `h` heals all.
    case faults
    /// Who led which term, from when to when, and why each reign ended (`L`).
    case leaders
}

/// The panel the arrow keys move in.
public enum Focus: Sendable, Equatable {
    case nodes, events
}

/// Where Up and Down stand in a prompt's history: how many lines back, and the line being typed
/// before the walk began (Down past the newest brings it back).
public struct PromptRecall: Sendable, Equatable {
    public var back: Int
    public var draft: String
}

public enum PromptKind: String, Sendable, Equatable {
    case command = ":"
    case filter = "/"
    case submit = "submit: "
}
