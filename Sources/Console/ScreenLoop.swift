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
        var markedUpTo = Date()
        while !stop() {
            if let key = backend.readKey() {
                if key == .resize { lastFrame = nil }
                if handle(key, &model) { break }
            }
            refresh(&model)
            model.selected = min(max(0, model.selected), max(0, model.snapshot.nodes.count - 1))
            let (w, h) = backend.size
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
