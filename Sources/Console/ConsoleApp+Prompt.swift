import Synchronization

/// The prompts (`:`, `/`, submit) as a shell's line: `LineEditor` edits it, Up and Down walk
/// the prompt's history (`PromptHistory`, kept across runs), Tab completes, Enter runs it.
extension ConsoleApp {
    /// Applies one key to the open prompt; true means quit.
    func prompt(_ key: Key, kind: PromptKind, text: String, _ m: inout ConsoleModel) -> Bool {
        switch key {
        case .escape:
            m.overlay = nil
        case .enter:
            m.overlay = nil
            promptHistory.withLock { $0.add(text, kind: kind) }
            switch kind {
            case .command: return perform(.command(text), &m, origin: "command")
            case .filter:
                m.eventFilter = text
                // The matches take the arrows and Enter at once.
                m.focus = text.isEmpty ? .nodes : .events
                m.selectedEvent = 0
            case .submit: return perform(.command("submit " + text), &m, origin: "key s")
            }
        case .tab:
            let (completed, candidates) = CommandLineParser.complete(text, model: m)
            m.overlay = .prompt(kind: kind, text: completed)
            m.promptCursor = nil
            m.completions = candidates
        case .up, .down:
            recall(older: key == .up, kind: kind, text: text, &m)
        default:
            var line = LineEditor(text, cursor: m.promptCursor)
            guard line.apply(key) else { return false }
            m.overlay = .prompt(kind: kind, text: line.text)
            m.promptCursor = line.cursor
            m.promptRecall = nil
            m.completions = []
        }
        return false
    }

    /// Up: the prompt's previous line from its history; Down: the next, and past the newest
    /// the line that was being typed.
    func recall(older: Bool, kind: PromptKind, text: String, _ m: inout ConsoleModel) {
        let lines = promptHistory.withLock { $0.lines(kind) }
        var at = m.promptRecall ?? PromptRecall(back: 0, draft: text)
        if older {
            guard at.back < lines.count else { return }
            at.back += 1
        } else {
            guard at.back > 0 else { return }
            at.back -= 1
        }
        m.overlay = .prompt(kind: kind, text: at.back == 0 ? at.draft : lines[lines.count - at.back])
        m.promptRecall = at.back == 0 ? nil : at
        m.promptCursor = nil
        m.completions = []
    }
}
