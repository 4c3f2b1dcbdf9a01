import BinaryCoding
import Foundation
import Testing
import TestSupport
@testable import Console

/// Theme files come from users' disks: whatever bytes they hold, `Theme.parse` returns a theme
/// or throws a `ThemeError` naming the file, and never traps.
@Suite("Theme fuzz")
struct ThemeFuzzTests {
    /// The repo's themes, and a few hand-made ones that reach every branch of the parser.
    static func seeds() throws -> [String] {
        let dir = ThemeTests.repoThemes
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".toml") }.sorted()
        return try files.map { try String(contentsOfFile: "\(dir)/\($0)", encoding: .utf8) } + [
            "name = \"x\"\nterm-palette = [\"red\", 3, \"#00ff00\", \"default\"]\n[ui]\nleader = { fg = \"cyan\", bg = 4, bold = true, reverse = false }\n",
            "[ui]\ntext = 255\nborder = \"#123456\"\n",
            "description = \"d\"\n[ui]\nselection = { fg = \"black\", bg = \"bright-white\" }\n",
        ]
    }

    /// Pieces of TOML that, dropped anywhere, make interesting damage.
    static let tokens = ["[", "]", "[[", "]]", "{", "}", "=", "\"", "'", "'''", "\"\"\"", "#", "\n", ",", ".", "\\", "\\u", "\\U0010FFFF",
                         "[ui]", "[ui.leader]", "ui = 1", "fg", "bg", "bold", "true", "1e400", "-0", "0x", "0o7", "nan", "inf",
                         "9223372036854775808", "-9223372036854775809", "1979-05-27T07:32:00Z", "\u{0}", "\u{FEFF}", "é", "\u{1F680}",
                         "term-palette", "name", "= [", "= {", "\r\n", "\t"]

    static func mutate(_ text: inout [UInt8], _ rng: inout SplitMix64) {
        switch rng.below(6) {
        case 0 where !text.isEmpty:
            text[rng.below(text.count)] ^= UInt8(1 << rng.below(8))
        case 1 where !text.isEmpty:
            text[rng.below(text.count)] = UInt8(truncatingIfNeeded: rng.next())
        case 2:
            text.insert(contentsOf: Array(tokens[rng.below(tokens.count)].utf8), at: rng.below(text.count + 1))
        case 3 where !text.isEmpty:
            let a = rng.below(text.count)
            text.removeSubrange(a..<min(text.count, a + 1 + rng.below(40)))
        case 4 where !text.isEmpty:
            // Repeat a slice: duplicate keys, tables and nesting.
            let a = rng.below(text.count)
            let slice = Array(text[a..<min(text.count, a + 1 + rng.below(60))])
            text.insert(contentsOf: slice, at: rng.below(text.count + 1))
        default:
            text = Array(text.prefix(rng.below(text.count + 1)))
        }
    }

    /// Four seeded shards of 25,000 inputs (100,000 in all, each shard on a thread of its own).
    @Test(arguments: 0..<4)
    func oneHundredThousandRandomAndMutatedThemesParseOrThrow(shard: Int) async throws {
        let total = 25_000
        let (parsed, refused, problems) = try await offThePool { () throws -> (Int, Int, [String]) in
            let seeds = try ThemeFuzzTests.seeds()
            var rng = SplitMix64(seed: 0x7E3E &+ UInt64(shard) << 40)
            var parsed = 0
            var refused = 0
            var problems: [String] = []
            for n in 0..<total {
                var bytes: [UInt8]
                if n % 8 == 0 {
                    // From nothing: tokens and random bytes.
                    bytes = []
                    for _ in 0..<rng.below(12) {
                        if rng.chance(0.7) { bytes += Array(ThemeFuzzTests.tokens[rng.below(ThemeFuzzTests.tokens.count)].utf8) }
                        else { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
                    }
                } else {
                    bytes = Array(seeds[rng.below(seeds.count)].utf8)
                    for _ in 0..<(1 + rng.below(4)) { ThemeFuzzTests.mutate(&bytes, &rng) }
                }
                let text = String(decoding: bytes, as: UTF8.self)
                do {
                    let theme = try Theme.parse(text, file: "fuzz.toml")
                    parsed += 1
                    for key in Theme.keys where theme.styles[key] == nil { problems.append("a parsed theme lacks \(key): \(text)") }
                } catch let e as ThemeError {
                    refused += 1
                    if !e.description.hasPrefix("fuzz.toml") { problems.append("the error does not name the file: \(e)") }
                } catch {
                    problems.append("not a ThemeError: \(error) for \(text)")
                }
            }
            return (parsed, refused, problems)
        }
        print("fuzz themes shard \(shard): \(parsed + refused) inputs, \(parsed) parsed, \(refused) refused")
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        #expect(parsed + refused == total)
        #expect(parsed > total / 50 && refused > total / 5)
    }
}
