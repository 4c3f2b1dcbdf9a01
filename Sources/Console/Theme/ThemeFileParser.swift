/// Reads theme files: the subset of TOML they are written in. Comments, `[table]` headers,
/// `key = value` lines; values are strings ("basic" with escapes, or 'literal'), integers,
/// booleans, arrays (which may span lines) and one-line inline tables. Anything else is an
/// error naming the line. Every input parses or throws: indexes are checked, nesting is
/// bounded, and integers that do not fit are refused.
struct ThemeFileParser {
    struct Failure: Error, Equatable {
        var line: Int
        var message: String
    }

    /// The file as UTF-8 (valid only during `parse`). Syntax is ASCII; other bytes are only
    /// ever copied inside strings.
    private let b: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var line = 1
    static let maxDepth = 32

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

    /// Parses a whole file into its top-level table.
    static func parse(_ text: String) throws(Failure) -> ThemeValue {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(Failure) -> ThemeValue in
            var p = ThemeFileParser(buffer)
            return try p.document()
        }
    }

    // The grammar's bytes are written as ASCII codes: 0x09 tab, 0x0A newline, 0x0D CR, 0x20 space,
    // 0x22 ", 0x23 #, 0x27 ', 0x2B +, 0x2C ',', 0x2D -, 0x2E ., 0x3A :, 0x3D =, 0x5B [, 0x5C \, 0x5D ],
    // 0x7B {, 0x7D }.

    // MARK: - Document

    private mutating func document() throws(Failure) -> ThemeValue {
        var root: [(key: String, value: ThemeValue)] = []
        var current: String?  // the table a header opened; nil is the root
        var section: [(key: String, value: ThemeValue)] = []
        while true {
            skipBlankAndComments()
            guard let c = peek else { break }
            if c == 0x5B {
                let at = line
                advance()
                if peek == 0x5B { throw fail("arrays of tables ([[…]]) are not used in theme files") }
                skipSpaces()
                let name = try key()
                skipSpaces()
                if peek == 0x2E { throw fail("dotted table names are not used in theme files; write [\(name)]") }
                guard peek == 0x5D else { throw fail("expected ] to end the table header [\(name)") }
                advance()
                try endOfLine()
                if let current { root.append((current, .table(section))) }
                if root.contains(where: { $0.key == name }) {
                    throw Failure(line: at, message: "\"\(name)\" is defined twice")
                }
                current = name
                section = []
            } else {
                let (k, v) = try keyValue(depth: 0)
                if current == nil {
                    if root.contains(where: { $0.key == k }) { throw fail("key \"\(k)\" is set twice") }
                    root.append((k, v))
                } else {
                    if section.contains(where: { $0.key == k }) { throw fail("key \"\(k)\" is set twice") }
                    section.append((k, v))
                }
                try endOfLine()
            }
        }
        if let current { root.append((current, .table(section))) }
        return .table(root)
    }

    /// `key = value`.
    private mutating func keyValue(depth: Int) throws(Failure) -> (String, ThemeValue) {
        let k = try key()
        skipSpaces()
        if peek == 0x2E { throw fail("dotted keys are not used in theme files (\(k).…); use a table or an inline table") }
        guard peek == 0x3D else { throw fail("expected = after the key \"\(k)\"") }
        advance()
        skipSpaces()
        return (k, try value(depth: depth))
    }

    /// A bare key (letters, digits, - and _) or a quoted one.
    private mutating func key() throws(Failure) -> String {
        guard let c = peek else { throw fail("expected a key, found the end of the file") }
        if c == 0x22 { return try basicString() }
        if c == 0x27 { return try literalString() }
        let start = i
        while let c = peek, Self.isBareKey(c) { advance() }
        if i == start { throw fail("expected a key, found \(describe(c))") }
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    // MARK: - Values

    private mutating func value(depth: Int) throws(Failure) -> ThemeValue {
        guard depth < ThemeFileParser.maxDepth else { throw fail("values nest deeper than \(ThemeFileParser.maxDepth) levels") }
        guard let c = peek else { throw fail("expected a value, found the end of the file") }
        switch c {
        case 0x22: return .string(try basicString())
        case 0x27: return .string(try literalString())
        case 0x5B: return try array(depth: depth + 1)
        case 0x7B: return try inlineTable(depth: depth + 1)
        case 0x74, 0x66:  // t, f
            let word = bareWord()
            if word == "true" { return .bool(true) }
            if word == "false" { return .bool(false) }
            throw fail("\"\(word)\" is not a value (strings need quotes)")
        case 0x2B, 0x2D, 0x30...0x39:
            let word = bareWord()
            let digits = word.filter { $0 != "_" }
            guard !digits.isEmpty, !word.hasPrefix("_"), !word.hasSuffix("_"), !word.contains("__"),
                  let n = Int(digits) else {
                throw fail(word.contains(where: { ".eE:".contains($0) }) ? "\"\(word)\": floats and dates are not used in theme files"
                           : "\"\(word)\" is not an integer that fits in 64 bits")
            }
            return .integer(n)
        default:
            throw fail("expected a value, found \(describe(c))")
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> ThemeValue {
        advance()  // [
        var items: [ThemeValue] = []
        while true {
            skipBlankAndComments()
            guard let c = peek else { throw fail("the array is not closed with ]") }
            if c == 0x5D { advance(); return .array(items) }
            items.append(try value(depth: depth))
            skipBlankAndComments()
            guard let next = peek else { throw fail("the array is not closed with ]") }
            if next == 0x2C { advance(); continue }
            guard next == 0x5D else { throw fail("expected , or ] in the array, found \(describe(next))") }
        }
    }

    /// `{ k = v, … }` on one line.
    private mutating func inlineTable(depth: Int) throws(Failure) -> ThemeValue {
        advance()  // {
        var entries: [(key: String, value: ThemeValue)] = []
        skipSpaces()
        if peek == 0x7D { advance(); return .table([]) }
        while true {
            skipSpaces()
            if peek == nil || peek == 0x0A { throw fail("the inline table is not closed with } on its line") }
            let (k, v) = try keyValue(depth: depth)
            if entries.contains(where: { $0.key == k }) { throw fail("key \"\(k)\" is set twice in the inline table") }
            entries.append((k, v))
            skipSpaces()
            guard let c = peek, c != 0x0A else { throw fail("the inline table is not closed with } on its line") }
            if c == 0x2C { advance(); continue }
            guard c == 0x7D else { throw fail("expected , or } in the inline table, found \(describe(c))") }
            advance()
            return .table(entries)
        }
    }

    private mutating func basicString() throws(Failure) -> String {
        advance()  // "
        if peek == 0x22, peek(1) == 0x22 { throw fail("multi-line strings are not used in theme files") }
        var out: [UInt8] = []
        while true {
            guard let c = peek, c != 0x0A else { throw fail("the string is not closed on its line") }
            advance()
            if c == 0x22 { return String(decoding: out, as: UTF8.self) }
            if c == 0x5C {
                guard let e = peek else { throw fail("the string is not closed on its line") }
                advance()
                switch e {
                case 0x22, 0x5C: out.append(e)
                case 0x6E: out.append(0x0A)  // n
                case 0x74: out.append(0x09)  // t
                case 0x72: out.append(0x0D)  // r
                case 0x62: out.append(0x08)  // b
                case 0x66: out.append(0x0C)  // f
                case 0x75, 0x55:  // u, U
                    let count = e == 0x75 ? 4 : 8
                    guard i + count <= b.count, let v = UInt32(String(decoding: b[i..<(i + count)], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(v) else {
                        throw fail("\\\(e == 0x75 ? "u" : "U") needs \(count) hex digits naming a Unicode scalar value")
                    }
                    for _ in 0..<count { advance() }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw fail("unknown escape \\\(describe(e)) in a string")
                }
            } else if (c < 0x20 && c != 0x09) || c == 0x7F {
                throw fail("control character \(describe(c)) in a string")
            } else {
                out.append(c)
            }
        }
    }

    private mutating func literalString() throws(Failure) -> String {
        advance()  // '
        if peek == 0x27, peek(1) == 0x27 { throw fail("multi-line strings are not used in theme files") }
        let start = i
        while true {
            guard let c = peek, c != 0x0A else { throw fail("the string is not closed on its line") }
            if c == 0x27 {
                let text = String(decoding: b[start..<i], as: UTF8.self)
                advance()
                return text
            }
            advance()
        }
    }

    // MARK: - Bytes

    private var peek: UInt8? { i < b.count ? b[i] : nil }

    private func peek(_ ahead: Int) -> UInt8? { i + ahead < b.count ? b[i + ahead] : nil }

    private mutating func advance() {
        if i < b.count {
            if b[i] == 0x0A { line += 1 }
            i += 1
        }
    }

    private mutating func skipSpaces() {
        while let c = peek, c == 0x20 || c == 0x09 { advance() }
    }

    private mutating func skipComment() {
        if peek == 0x23 { while let c = peek, c != 0x0A { advance() } }
    }

    /// Spaces, comments and line breaks (a \r only before a \n).
    private mutating func skipBlankAndComments() {
        while true {
            skipSpaces()
            skipComment()
            if peek == 0x0A { advance(); continue }
            if peek == 0x0D, peek(1) == 0x0A { advance(); advance(); continue }
            return
        }
    }

    /// After a value or a header: nothing but spaces and a comment before the line ends.
    private mutating func endOfLine() throws(Failure) {
        skipSpaces()
        skipComment()
        if peek == 0x0D, peek(1) == 0x0A { advance() }
        guard let c = peek else { return }
        guard c == 0x0A else { throw fail("expected the end of the line, found \(describe(c))") }
        advance()
    }

    private mutating func bareWord() -> String {
        let start = i
        while let c = peek, Self.isBareKey(c) || c == 0x2B || c == 0x2E || c == 0x3A { advance() }
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    private static func isBareKey(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
    }

    private func describe(_ c: UInt8) -> String {
        if c >= 0x80 { return "a non-ASCII character" }
        if c < 0x20 || c == 0x7F { return "U+" + String(c, radix: 16, uppercase: true) }
        return "'\(Character(Unicode.Scalar(c)))'"
    }

    private func fail(_ message: String) -> Failure { Failure(line: line, message: message) }
}
