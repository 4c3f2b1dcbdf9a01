import CNcurses
import Foundation

/// Presents canvases on the terminal through ncurses and reads keys. Redraws only the cells
/// that changed; always gives the terminal back (`close`), also on errors and signals.
public final class TerminalBackend {
    let theme: Theme
    let color: Bool
    public let ascii: Bool
    var previous: Canvas?
    var pairs: [String: Int32] = [:]
    var open = false

    /// Whether the locale can show UTF-8 box lines and symbols.
    public static var localeIsUTF8: Bool {
        setlocale(LC_ALL, "")
        return String(cString: nl_langinfo(nl_item(CODESET))).uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
    }

    public init(theme: Theme, color: Bool) {
        let utf8 = TerminalBackend.localeIsUTF8
        ascii = !utf8
        initscr()
        cbreak()
        noecho()
        keypad(flotilla_stdscr(), true)
        curs_set(0)
        set_escdelay(25)
        wtimeout(flotilla_stdscr(), 100)
        self.color = color && has_colors()
        if self.color {
            start_color()
            use_default_colors()
        }
        self.theme = theme
        open = true
    }

    public var size: (width: Int, height: Int) { (Int(flotilla_cols()), Int(flotilla_lines())) }

    /// Restores the terminal. Safe to call more than once.
    public func close() {
        guard open else { return }
        open = false
        curs_set(1)
        endwin()
    }

    deinit { close() }

    func attribute(for cell: Cell) -> Int32 {
        let style = theme.style(for: cell.role)
        var attr: Int32 = 0
        if cell.bold || style.bold { attr |= flotilla_a_bold() }
        if style.reverse { attr |= flotilla_a_reverse() }
        guard color else {
            if case .selection = cell.role { attr |= flotilla_a_reverse() }
            return attr
        }
        let many = flotilla_colors() >= 256
        let fg = many ? style.fg : style.fg.basic
        let bg = many ? style.bg : style.bg.basic
        let key = "\(fg)/\(bg)"
        if let pair = pairs[key] { return attr | flotilla_color_pair(pair) }
        let n = Int32(pairs.count + 1)
        guard n < 256 else { return attr }
        func num(_ c: TermColor) -> Int16 { if case .index(let i) = c { return Int16(i) } else { return -1 } }
        init_pair(Int16(n), num(fg), num(bg))
        pairs[key] = n
        return attr | flotilla_color_pair(n)
    }

    /// Draws the cells that changed since the last frame.
    public func present(_ canvas: Canvas) {
        let changed = canvas.diff(from: previous)
        if previous?.width != canvas.width || previous?.height != canvas.height { clear() }
        for (x, y) in changed {
            let cell = canvas[x, y]
            // The last cell of the screen would scroll it on some terminals.
            if x == canvas.width - 1, y == canvas.height - 1 { continue }
            attrset(attribute(for: cell))
            mvaddstr(Int32(y), Int32(x), String(Character(cell.char)))
        }
        attrset(0)
        refresh()
        previous = canvas
    }

    /// The next key, or nil after the 100 ms input timeout.
    public func readKey() -> Key? {
        let c = getch()
        switch c {
        case ERR: return nil
        case flotilla_key_resize(): previous = nil; return .resize
        case flotilla_key_up(): return .up
        case flotilla_key_down(): return .down
        case flotilla_key_left(): return .left
        case flotilla_key_right(): return .right
        case 27: return .escape
        case 10, 13, flotilla_key_enter(): return .enter
        case 127, 8, flotilla_key_backspace(): return .backspace
        case 9: return .tab
        case flotilla_key_dc(): return .delete
        case flotilla_key_home(): return .home
        case flotilla_key_end(): return .end
        case flotilla_key_ppage(): return .pageUp
        case flotilla_key_npage(): return .pageDown
        // Ctrl-A … Ctrl-Z (Ctrl-H, -I, -J and -M were taken above as backspace, Tab and Enter).
        case 1...26: return .control(Character(UnicodeScalar(UInt8(96 + c))))
        default:
            guard c > 0, c < 0x110000, let scalar = UnicodeScalar(UInt32(c)) else { return nil }
            // ncurses hands UTF-8 as bytes; the console's keys are ASCII.
            return scalar.isASCII ? .char(Character(scalar)) : nil
        }
    }
}
