import Foundation

/// A terminal colour: the terminal's default, or an xterm-256 index (0-7 are the basic colours).
public enum TermColor: Equatable, Sendable {
    case `default`
    case index(Int)

    static let names = ["black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
                        "gray": 8, "grey": 8, "bright-red": 9, "bright-green": 10, "bright-yellow": 11, "bright-blue": 12,
                        "bright-magenta": 13, "bright-cyan": 14, "bright-white": 15]

    /// "default", a colour name, "#rrggbb" (to the nearest of the 256), or 0-255.
    init?(_ text: String) {
        let t = text.lowercased()
        if t == "default" { self = .default; return }
        if let n = TermColor.names[t] { self = .index(n); return }
        if t.hasPrefix("#"), t.count == 7, let v = Int(t.dropFirst(), radix: 16) {
            let scale = { (c: Int) in c < 48 ? 0 : c < 115 ? 1 : (c - 35) / 40 }
            self = .index(16 + 36 * scale((v >> 16) & 255) + 6 * scale((v >> 8) & 255) + scale(v & 255))
            return
        }
        if let n = Int(t), (0...255).contains(n) { self = .index(n); return }
        return nil
    }

    /// The nearest of the 8 basic colours, for terminals without 256.
    public var basic: TermColor {
        guard case .index(let n) = self, n >= 8 else { return self }
        if n < 16 { return .index(n - 8) }
        if n >= 232 { return .index(n < 244 ? 0 : 7) }
        let v = n - 16
        let (r, g, b) = (v / 36, (v / 6) % 6, v % 6)
        return .index((r >= 3 ? 1 : 0) | (g >= 3 ? 2 : 0) | (b >= 3 ? 4 : 0))
    }
}

/// How one UI element looks.
public struct Style: Equatable, Sendable {
    public var fg: TermColor = .default
    public var bg: TermColor = .default
    public var bold = false
    public var reverse = false
}

/// A colour theme: one style per UI element, and the palette terms cycle through.
public struct Theme: Equatable, Sendable {
    public var name: String
    public var styles: [String: Style]
    public var termPalette: [TermColor]

    /// Every key a theme may set, one per UI element.
    public static let keys = [
        "background", "text", "dim", "border", "title", "selection", "keybar",
        "leader", "follower", "candidate", "learner",
        "down", "healthy", "catching-up", "unreachable",
        "event-action", "event-observed", "event-recovery", "event-invariant", "event-load", "event-error",
    ]

    public static func key(for role: Role) -> String {
        switch role {
        case .background: "background"
        case .text: "text"
        case .dim: "dim"
        case .border: "border"
        case .title: "title"
        case .selection: "selection"
        case .keybar: "keybar"
        case .leader: "leader"
        case .follower: "follower"
        case .candidate: "candidate"
        case .learner: "learner"
        case .down: "down"
        case .healthy: "healthy"
        case .catchingUp: "catching-up"
        case .unreachable: "unreachable"
        case .eventAction: "event-action"
        case .eventObserved: "event-observed"
        case .eventRecovery: "event-recovery"
        case .eventInvariant: "event-invariant"
        case .eventLoad: "event-load"
        case .eventError: "event-error"
        case .term: "text"
        }
    }

    public func style(for role: Role) -> Style {
        if case .term(let t) = role, !termPalette.isEmpty {
            return Style(fg: termPalette[Int(t % UInt64(termPalette.count))], bg: styles["background"]?.bg ?? .default, bold: false)
        }
        return styles[Theme.key(for: role)] ?? Style()
    }

    /// Black and white: readable through text and symbols alone (NO_COLOR, --no-color, the mono theme).
    public static let mono: Theme = {
        var styles = Dictionary(uniqueKeysWithValues: keys.map { ($0, Style()) })
        styles["selection"] = Style(reverse: true)
        styles["title"] = Style(bold: true)
        styles["leader"] = Style(bold: true)
        styles["keybar"] = Style(reverse: true)
        styles["event-invariant"] = Style(bold: true)
        styles["event-error"] = Style(bold: true)
        return Theme(name: "mono", styles: styles, termPalette: [])
    }()

    /// The built-in dark theme, used when no theme file is found or one is broken.
    public static let fallback: Theme = {
        var t = mono
        t.name = "default"
        let set = { (k: String, fg: Int, bold: Bool) in t.styles[k] = Style(fg: .index(fg), bold: bold) }
        set("border", 8, false); set("title", 6, true); set("dim", 8, false)
        set("leader", 3, true); set("follower", 7, false); set("candidate", 5, false); set("learner", 4, false)
        set("down", 1, true); set("healthy", 2, false); set("catching-up", 3, false); set("unreachable", 1, false)
        set("event-action", 6, false); set("event-observed", 7, false); set("event-recovery", 3, false)
        set("event-invariant", 1, true); set("event-load", 4, false); set("event-error", 1, true)
        t.styles["selection"] = Style(fg: .index(0), bg: .index(6))
        t.termPalette = [6, 5, 2, 4, 3, 1].map { .index($0) }
        return t
    }()

    /// Parses a theme file; errors name the file and the key. Keys it leaves out come from the fallback.
    public static func parse(_ text: String, file: String) throws -> Theme {
        let table: ThemeValue
        do {
            table = try ThemeFileParser.parse(text)
        } catch {
            throw ThemeError("\(file):\(error.line): \(error.message)")
        }
        var theme = fallback
        theme.name = table["name"]?.string ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        for key in table.keys where !["name", "ui", "term-palette", "description"].contains(key) {
            throw ThemeError("\(file): unknown key \"\(key)\" (expected name, description, [ui] and term-palette)")
        }
        if let ui = table["ui"] {
            guard let ui = ui.table else { throw ThemeError("\(file): \"ui\" must be a table") }
            for (key, value) in ui {
                guard keys.contains(key) else {
                    throw ThemeError("\(file): unknown key \"ui.\(key)\"; the keys are \(keys.joined(separator: ", "))")
                }
                theme.styles[key] = try style(value, key: "ui.\(key)", file: file)
            }
        }
        if let palette = table["term-palette"] {
            guard let array = palette.array else { throw ThemeError("\(file): \"term-palette\" must be an array of colours") }
            theme.termPalette = try array.enumerated().map { i, v in try color(v, key: "term-palette[\(i)]", file: file) }
        }
        return theme
    }

    static func color(_ v: ThemeValue, key: String, file: String) throws -> TermColor {
        if let s = v.string, let c = TermColor(s) { return c }
        if let n = v.int, let c = TermColor("\(n)") { return c }
        throw ThemeError("\(file): \"\(key)\" is not a colour (use default, a name like cyan or bright-red, #rrggbb, or 0-255)")
    }

    static func style(_ v: ThemeValue, key: String, file: String) throws -> Style {
        if v.string != nil || v.int != nil { return Style(fg: try color(v, key: key, file: file)) }
        guard let t = v.table else { throw ThemeError("\(file): \"\(key)\" must be a colour or a table {fg, bg, bold, reverse}") }
        var s = Style()
        for (k, value) in t {
            switch k {
            case "fg": s.fg = try color(value, key: "\(key).fg", file: file)
            case "bg": s.bg = try color(value, key: "\(key).bg", file: file)
            case "bold", "reverse":
                guard let b = value.bool else { throw ThemeError("\(file): \"\(key).\(k)\" must be true or false") }
                if k == "bold" { s.bold = b } else { s.reverse = b }
            default: throw ThemeError("\(file): unknown key \"\(key).\(k)\" (expected fg, bg, bold, reverse)")
            }
        }
        return s
    }

    /// Where themes are looked for: $XDG_CONFIG_HOME/flotilla/themes, ./themes, and the repo's themes/ beside the build.
    public static var searchPaths: [String] {
        var paths: [String] = []
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CONFIG_HOME"] ?? env["HOME"].map({ "\($0)/.config" }) { paths.append("\(xdg)/flotilla/themes") }
        paths.append(FileManager.default.currentDirectoryPath + "/themes")
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            paths.append(dir.appendingPathComponent("themes").path)
            dir = dir.deletingLastPathComponent()
        }
        return paths
    }

    /// Loads `name` from the search paths. A missing or broken theme gives the fallback and the reason.
    public static func load(_ name: String, paths: [String] = searchPaths) -> (Theme, warning: String?) {
        for dir in paths {
            let file = "\(dir)/\(name).toml"
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            do {
                return (try parse(text, file: file), nil)
            } catch {
                return (fallback, "\(error); using the default theme")
            }
        }
        if name == "default" { return (fallback, nil) }
        if name == "mono" { return (mono, nil) }
        return (fallback, "no theme \"\(name)\" in \(paths.joined(separator: ", ")); using the default theme")
    }
}

public struct ThemeError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}
