import Testing
@testable import Console

/// The TOML subset theme files are written in: what it reads, and how it refuses the rest.
@Suite("Theme file parser")
struct ThemeFileParserTests {
    func parse(_ text: String) throws(ThemeFileParser.Failure) -> ThemeValue { try ThemeFileParser.parse(text) }

    func failure(_ text: String) -> ThemeFileParser.Failure? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func itReadsWhatThemesUse() throws {
        let v = try parse("""
            # a comment
            name = "x" # trailing comment
            'literal key' = 'C:\\raw'
            n = -42
            big = 9_223_372_036_854_775_807
            on = true
            list = [ "a", 2,
              # inside
              "c", ]
            [ui]
            leader = { fg = "yellow", bold = false }
            escaped = "tab\\t quote\\" \\u00e9 \\U0001F680"
            """)
        #expect(v.keys == ["name", "literal key", "n", "big", "on", "list", "ui"])
        #expect(v["name"] == .string("x"))
        #expect(v["literal key"] == .string("C:\\raw"))
        #expect(v["n"] == .integer(-42) && v["big"] == .integer(.max) && v["on"] == .bool(true))
        #expect(v["list"] == .array([.string("a"), .integer(2), .string("c")]))
        #expect(v["ui"]?["leader"] == .table([("fg", .string("yellow")), ("bold", .bool(false))]))
        #expect(v["ui"]?["escaped"] == .string("tab\t quote\" é 🚀"))
        #expect(try parse("a = 1\r\nb = 2\r\n").keys == ["a", "b"], "CRLF line ends")
        #expect(try parse("") == .table([]))
    }

    @Test func itRefusesTheRestNamingTheLine() {
        let cases: [(String, Int, String)] = [
            ("[ }", 1, "expected a key"),  // toml++ aborted on this one
            ("[}", 1, "expected a key"),
            ("a = 1\n[ui\nb = 2", 2, "expected ]"),
            ("a = 1\na = 2", 2, "set twice"),
            ("[ui]\n[ui]", 2, "defined twice"),
            ("ui = 1\n[ui]", 2, "defined twice"),
            ("a = 9223372036854775808", 1, "fits in 64 bits"),
            ("a = 1.5", 1, "floats"),
            ("a = \"open", 1, "not closed"),
            ("a = { b = 1", 1, "not closed"),
            ("a = { b = 1,\n c = 2 }", 1, "not closed with } on its line"),
            ("a = [1, 2", 1, "not closed with ]"),
            ("a = \"\\q\"", 1, "unknown escape"),
            ("a = \"\\uD800\"", 1, "Unicode scalar"),
            ("a.b = 1", 1, "dotted keys"),
            ("[[t]]", 1, "arrays of tables"),
            ("a = 1 2", 1, "end of the line"),
            ("a = yes", 1, "expected a value"),
            ("= 1", 1, "expected a key"),
            ("a = \"\"\"x\"\"\"", 1, "multi-line"),
            ("a = \"bell\u{7}\"", 1, "control character"),
        ]
        for (text, line, message) in cases {
            let f = failure(text)
            #expect(f?.line == line && f?.message.contains(message) == true, "\(text.debugDescription): \(String(describing: f))")
        }
    }

    @Test func nestingIsBoundedInsteadOfOverflowingTheStack() {
        let deep = "a = " + String(repeating: "[", count: 100_000)
        #expect(failure(deep)?.message.contains("nest deeper") == true)
        let ok = "a = " + String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        #expect(failure(ok) == nil)
    }
}
