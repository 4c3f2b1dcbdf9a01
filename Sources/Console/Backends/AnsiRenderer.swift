/// Turns canvas cells into ANSI escape sequences (cursor moves and SGR colours), for
/// backends that write a byte stream instead of driving ncurses: screen recordings.
public struct AnsiRenderer: Sendable {
    public let theme: Theme
    public let color: Bool

    public init(theme: Theme, color: Bool) {
        self.theme = theme
        self.color = color
    }

    /// The bytes that turn `previous` (nil: a blank screen) into `canvas`.
    public func render(_ canvas: Canvas, from previous: Canvas?) -> String {
        var out = ""
        let full = previous == nil || previous?.width != canvas.width || previous?.height != canvas.height
        if full { out += "\u{1B}[0m\u{1B}[2J" }
        var cursor: (x: Int, y: Int)?
        var current: String?
        for (x, y) in canvas.diff(from: full ? nil : previous) {
            let cell = canvas[x, y]
            if full, cell == .blank { continue }
            if cursor.map({ $0.x != x || $0.y != y }) ?? true { out += "\u{1B}[\(y + 1);\(x + 1)H" }
            let sgr = self.sgr(for: cell)
            if sgr != current {
                out += sgr
                current = sgr
            }
            out.unicodeScalars.append(cell.char)
            cursor = (x + 1, y)
        }
        if current != nil { out += "\u{1B}[0m" }
        return out
    }

    /// The SGR sequence for a cell: reset, then bold/reverse and colours.
    func sgr(for cell: Cell) -> String {
        let style = theme.style(for: cell.role)
        var codes = ["0"]
        if cell.bold || style.bold { codes.append("1") }
        if style.reverse || (!color && cell.role == .selection) { codes.append("7") }
        if color {
            if case .index(let n) = style.fg { codes.append(n < 8 ? "\(30 + n)" : "38;5;\(n)") }
            if case .index(let n) = style.bg { codes.append(n < 8 ? "\(40 + n)" : "48;5;\(n)") }
        }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }
}
