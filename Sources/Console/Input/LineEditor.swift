/// The prompt's line as a shell edits it: a text and a cursor, changed by the keys readline
/// users reach for (Ctrl-A/E, Ctrl-U, Ctrl-W, Left/Right, Backspace/Delete at the cursor).
/// Pure, so every edit can be tested without a terminal. The cursor counts characters from the
/// start and sits between them (`text.count` is after the last).
public struct LineEditor: Sendable, Equatable {
    public private(set) var text: String
    public private(set) var cursor: Int

    public init(_ text: String = "", cursor: Int? = nil) {
        self.text = text
        self.cursor = min(max(0, cursor ?? text.count), text.count)
    }

    /// Applies an editing key; false when the key does not edit a line (Enter, Tab, Up, …) or
    /// is a control key that means nothing here, which is then not typed either.
    public mutating func apply(_ key: Key) -> Bool {
        var chars = Array(text)
        switch key {
        case .char(let ch):
            chars.insert(ch, at: cursor)
            cursor += 1
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(chars.count, cursor + 1)
        case .home, .control("a"): cursor = 0
        case .end, .control("e"): cursor = chars.count
        case .backspace:
            guard cursor > 0 else { return true }
            chars.remove(at: cursor - 1)
            cursor -= 1
        case .delete, .control("d"):
            guard cursor < chars.count else { return true }
            chars.remove(at: cursor)
        case .control("u"):
            chars.removeSubrange(0..<cursor)
            cursor = 0
        case .control("k"):
            chars.removeSubrange(cursor...)
        case .control("w"):
            // The word before the cursor and the blanks after it, as a shell's Ctrl-W.
            var start = cursor
            while start > 0, chars[start - 1] == " " { start -= 1 }
            while start > 0, chars[start - 1] != " " { start -= 1 }
            chars.removeSubrange(start..<cursor)
            cursor = start
        case .control:
            return true
        default:
            return false
        }
        text = String(chars)
        return true
    }
}
