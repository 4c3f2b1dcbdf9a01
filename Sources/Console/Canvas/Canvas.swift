/// What a cell means, not what colour it is: a theme maps each role to colours.
public enum Role: Hashable, Sendable {
    case background, text, dim, border, title, selection, keybar
    case leader, follower, candidate, learner
    case down, healthy, catchingUp, unreachable
    case eventAction, eventObserved, eventRecovery, eventInvariant, eventLoad, eventError
    /// Terms are coloured by number, from the theme's palette.
    case term(UInt64)
}

/// One character cell. A scalar, not a `Character`: cells are plain values a frame copies,
/// compares and diffs by the thousand without reference counting.
public struct Cell: Equatable, Sendable {
    public var char: Unicode.Scalar
    public var role: Role
    public var bold: Bool

    public static let blank = Cell(char: " ", role: .background, bold: false)
}

/// A grid of styled cells that views draw into; backends present it.
public struct Canvas: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Draw box lines and symbols with ASCII only (a terminal whose locale is not UTF-8).
    public var ascii: Bool

    public init(width: Int, height: Int, ascii: Bool = false) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.ascii = ascii
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { if x >= 0, y >= 0, x < width, y < height { cells[y * width + x] = newValue } }
    }

    /// What an ASCII terminal shows for the symbols text uses most, one cell each as the
    /// originals; other non-ASCII characters show as `?`.
    static let asciiStandIn: [Unicode.Scalar: Unicode.Scalar] = [
        "…": "~", "±": "+", "·": "|", "←": "<", "→": ">", "↑": "^", "↓": "v", "×": "x", "—": "-", "–": "-",
    ]

    /// What ends a line that was cut: `…`, or `~` on a terminal that shows ASCII only.
    public var ellipsis: Unicode.Scalar { ascii ? "~" : "…" }

    /// `text` in at most `width` cells: whole when it fits, else cut with its last cell an
    /// ellipsis, so nothing is ever cut without a sign. Blanks past the edge are no loss and
    /// are dropped without one.
    public static func fit(_ text: String, width: Int, ascii: Bool = false) -> String {
        let scalars = text.unicodeScalars
        guard width > 0 else { return "" }
        guard scalars.count > width else { return text }
        if scalars.dropFirst(width).allSatisfy({ $0 == " " }) {
            var out = ""
            out.unicodeScalars.append(contentsOf: scalars.prefix(width))
            return out
        }
        var out = ""
        out.unicodeScalars.append(contentsOf: scalars.prefix(width - 1))
        out.unicodeScalars.append(ascii ? "~" : "…")
        return out
    }

    /// `fit` with this canvas's glyph set.
    public func fit(_ text: String, width: Int) -> String { Canvas.fit(text, width: width, ascii: ascii) }

    /// Writes `text` from (x, y) within `maxWidth` (or the canvas edge); text that does not fit
    /// ends in an ellipsis (`fit`). Returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, role: Role = .text, bold: Bool = false, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height else { return 0 }
        let limit = min(width - x, maxWidth ?? Int.max)
        guard limit > 0 else { return 0 }
        var col = 0
        for ch in fit(text, width: limit).unicodeScalars {
            let c: Unicode.Scalar = ascii && !ch.isASCII ? Canvas.asciiStandIn[ch] ?? "?" : ch
            self[x + col, y] = Cell(char: c, role: role, bold: bold)
            col += 1
        }
        return col
    }

    /// Paints a role over a horizontal run (a selection bar) keeping the characters.
    public mutating func paint(x: Int, y: Int, width w: Int, role: Role) {
        for i in 0..<max(0, w) where x + i < width && y < height && y >= 0 {
            var c = self[x + i, y]
            c.role = role
            self[x + i, y] = c
        }
    }

    /// A box with a title on its top edge.
    public mutating func box(x: Int, y: Int, width w: Int, height h: Int, title: String) {
        guard w >= 2, h >= 2 else { return }
        let (tl, tr, bl, br, hz, vt): (Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar, Unicode.Scalar) =
            ascii ? ("+", "+", "+", "+", "-", "|") : ("┌", "┐", "└", "┘", "─", "│")
        for i in 1..<(w - 1) {
            self[x + i, y] = Cell(char: hz, role: .border, bold: false)
            self[x + i, y + h - 1] = Cell(char: hz, role: .border, bold: false)
        }
        for j in 1..<(h - 1) {
            self[x, y + j] = Cell(char: vt, role: .border, bold: false)
            self[x + w - 1, y + j] = Cell(char: vt, role: .border, bold: false)
        }
        self[x, y] = Cell(char: tl, role: .border, bold: false)
        self[x + w - 1, y] = Cell(char: tr, role: .border, bold: false)
        self[x, y + h - 1] = Cell(char: bl, role: .border, bold: false)
        self[x + w - 1, y + h - 1] = Cell(char: br, role: .border, bold: false)
        put(" \(title) ", x: x + 1, y: y, role: .title, bold: true, maxWidth: w - 2)
    }

    /// The text of each row, trailing blanks removed: what tests compare.
    public var lines: [String] {
        (0..<height).map { y in
            var s = ""
            s.unicodeScalars.append(contentsOf: (0..<width).map { self[$0, y].char })
            while s.last == " " { s.removeLast() }
            return s
        }
    }

    /// The cells that differ from `previous` (all of them when the size changed): what a backend redraws.
    public func diff(from previous: Canvas?) -> [(x: Int, y: Int)] {
        guard let previous, previous.width == width, previous.height == height else {
            return (0..<height).flatMap { y in (0..<width).map { (x: $0, y: y) } }
        }
        var out: [(x: Int, y: Int)] = []
        for i in cells.indices where cells[i] != previous.cells[i] { out.append((x: i % width, y: i / width)) }
        return out
    }
}
