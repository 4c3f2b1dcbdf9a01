import FlotillaAPI
import Foundation
import Orchestrator

/// The UI thread's loop, shared by the live console and playback: read a key, let the
/// owner update the model, draw, and present only when the frame changed — to the
/// terminal and, with `--record-cast`, to the screen recording.
struct ScreenLoop {
    let options: ConsoleApp.Options
    let keys: KeyMap

    /// Runs until `handle` returns true or `stop` does; the terminal is restored on return.
    func run(_ initial: ConsoleModel, stop: () -> Bool, refresh: (inout ConsoleModel) -> Void,
             handle: (Key, inout ConsoleModel) -> Bool) {
        let theme = options.color ? options.theme : .mono
        let backend = TerminalBackend(theme: theme, color: options.color)
        defer { backend.close() }
        var cast: AsciicastWriter?
        if let path = options.castPath {
            let (w, h) = backend.size
            cast = try? AsciicastWriter(path: path, width: w, height: h, renderer: AnsiRenderer(theme: theme, color: options.color))
        }
        var model = initial
        var lastFrame: Canvas?
        var lastInputs: FrameInputs?
        var markedUpTo = Date()
        while !stop() {
            if let key = backend.readKey() {
                if key == .resize { lastFrame = nil }
                if handle(key, &model) { break }
            }
            refresh(&model)
            model.selected = min(max(0, model.selected), max(0, model.snapshot.nodes.count - 1))
            let (w, h) = backend.size
            ConsoleView.clampOverlay(&model, width: w, height: h, keys: keys)
            // Draw only when something the frame shows may have changed: nothing new means nothing to do.
            let inputs = FrameInputs(model, width: w, height: h)
            if inputs == lastInputs, lastFrame != nil { continue }
            lastInputs = inputs
            let frame = ConsoleView.render(model, width: w, height: h, ascii: backend.ascii, keys: keys)
            if frame != lastFrame {
                backend.present(frame)
                cast?.present(frame)
                lastFrame = frame
            }
            // A marker at each operator action, labelled with what it did.
            if let cast, let newest = model.events.last?.at, newest > markedUpTo {
                for e in model.events where e.at > markedUpTo {
                    if let a = e.action { cast.marker("\(a.summary) (\(a.by))", at: e.at) }
                }
                markedUpTo = newest
            }
        }
    }
}

/// What a frame is drawn from, cheaply compared: when none of it changed, neither did the frame.
struct FrameInputs: Equatable {
    var width: Int
    var height: Int
    var seq: UInt64
    var takenAt: Date
    var second: Int
    var events: Int
    var lastEvent: Date?
    var tasks: [TaskView]
    var ops: Double?
    var ui: [String]

    init(_ m: ConsoleModel, width: Int, height: Int) {
        self.width = width
        self.height = height
        seq = m.snapshot.seq
        takenAt = m.snapshot.takenAt
        second = Int(m.now.timeIntervalSince1970)
        events = m.events.count
        lastEvent = m.events.last?.at
        tasks = m.tasks
        ops = m.opsHistory.last
        // The operator's side: selection, overlays, filters, modes, playback position.
        ui = ["\(m.selected)", "\(String(describing: m.overlay))", "\(m.overlayScroll)", "\(m.focus)", "\(m.selectedEvent)", "\(m.promptCursor ?? -1)", m.eventFilter, m.completions.joined(separator: " "), m.taskNode ?? "",
              m.taskState?.rawValue ?? "", m.recovery.rawValue, "\(m.loadOn)", "\(m.readonly)", "\(String(describing: m.playback))",
              "\(m.selectedFault)", "\(m.tokenRefused)", "\(m.nodeLog.count)", m.nodeLog.last ?? ""]
    }
}
