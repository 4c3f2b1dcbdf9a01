import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

@Suite("Console keys")
struct KeyTests {
    let keys = KeyMap()

    @Test func eachKeyAsksForTheRightOperationOnTheSelectedNode() {
        var m = model(mixedSnapshot())
        m.selected = 1  // n2
        let expected: [(Character, ConsoleAction)] = [
            ("k", .run(.kill(node: "n2"))), ("r", .run(.restart(node: "n2"))), ("z", .run(.pause(node: "n2"))),
            ("p", .run(.partition(shape: .isolate(node: "n2")))), ("h", .run(.heal)), ("t", .run(.transfer(to: "n2"))),
            ("+", .run(.scale(change: .add(count: 1), purge: false))), ("-", .run(.scale(change: .removeNode(id: "n2"), purge: false))),
            ("s", .openPrompt(.submit)), ("l", .run(.load(plan: .standard))), ("R", .run(.recover(mode: .auto))),
            ("/", .openPrompt(.filter)), (":", .openPrompt(.command)), ("?", .help), ("q", .quit), ("j", .select(1)),
        ]
        for (ch, action) in expected {
            #expect(keys.action(for: .char(ch), model: m).0 == action, "key \(ch)")
        }
        #expect(keys.action(for: .up, model: m).0 == .select(-1))
        #expect(keys.action(for: .char("x"), model: m).0 == nil)
    }

    /// The toggles read the model: `z` resumes a paused node, `l` stops a running load, `R` cycles on.
    @Test func theToggleKeysGiveTheCommandForWhatTheyShow() {
        var m = model(mixedSnapshot())
        m.selected = 1
        let i = m.snapshot.nodes.firstIndex { $0.id == "n2" }!
        m.snapshot.nodes[i].process = .paused
        m.loadOn = true
        m.recovery = .auto
        #expect(keys.action(for: .char("z"), model: m).0 == .run(.resume(node: "n2")))
        #expect(keys.action(for: .char("l"), model: m).0 == .run(.load(plan: nil)))
        #expect(keys.action(for: .char("R"), model: m).0 == .run(.recover(mode: .off)))
    }

    /// Every key that gives an operator command is listed for that verb in the grammar table the
    /// README's fault table comes from.
    @Test func everyCommandKeyIsInTheGrammarTable() {
        var m = model(mixedSnapshot())
        m.selected = 1
        m.snapshot.pending = [.init(id: "n6", raftAddress: "r", adminAddress: "a")]
        var seen = 0
        for b in keys.bindings {
            guard case .run(let command)? = keys.action(for: .char(Character(b.key)), model: m).0 else { continue }
            seen += 1
            #expect(OperatorGrammar.form(command.verb)?.keys.contains(b.key) == true, "key \(b.key) gives \(command.verb)")
        }
        #expect(seen >= 15)
    }

    @Test func approveNeedsAPendingJoin() {
        var m = model(mixedSnapshot())
        #expect(keys.action(for: .char("a"), model: m).1 == "no join is pending")
        m.snapshot.pending = [.init(id: "n6", raftAddress: "r", adminAddress: "a")]
        #expect(keys.action(for: .char("a"), model: m).0 == .run(.approve(node: "n6")))
    }

    @Test func readOnlyAndRemoteConsolesRefuseWithAReason() {
        var m = model(mixedSnapshot())
        m.readonly = true
        let (action, why) = keys.action(for: .char("h"), model: m)
        #expect(action == nil && why?.contains("read-only") == true)
        #expect(keys.action(for: .char("?"), model: m).0 == .help)
        m.readonly = false
        m.local = false
        #expect(keys.action(for: .char("k"), model: m).1?.contains("not local processes") == true)
        #expect(keys.action(for: .char("p"), model: m).0 == .run(.partition(shape: .isolate(node: "n1"))), "network faults work on remote nodes")
        #expect(keys.help(readonly: false, local: false).contains { $0.contains("kill") && $0.contains("unavailable") })
    }

    @Test func killAndRemoveAskFirst() {
        #expect(keys.needsConfirmation(.run(.kill(node: "n1"))) == "kill n1?")
        #expect(keys.needsConfirmation(.run(.scale(change: .removeNode(id: "n4"), purge: false))) != nil)
        #expect(keys.needsConfirmation(.run(.heal)) == nil)
    }
}

@Suite("Themes")
struct ThemeTests {
    static var repoThemes: String {
        var dir = URL(fileURLWithPath: #filePath)
        while dir.path != "/" {
            dir.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("themes/default.toml").path) { break }
        }
        return dir.appendingPathComponent("themes").path
    }

    @Test func everyThemeFileParsesAndSetsEveryKey() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: ThemeTests.repoThemes).filter { $0.hasSuffix(".toml") }.sorted()
        #expect(files == ["default.toml", "high-contrast.toml", "light.toml", "mono.toml", "solarized-dark.toml"])
        for f in files {
            let text = try String(contentsOfFile: "\(ThemeTests.repoThemes)/\(f)", encoding: .utf8)
            let theme = try Theme.parse(text, file: f)
            #expect(theme.name == String(f.dropLast(5)))
            for key in Theme.keys { #expect(text.contains("\n\(key) = "), "\(f) sets \(key)") }
        }
    }

    @Test func aBrokenThemeNamesTheFileAndTheKey() {
        #expect(throws: ThemeError.self) { try Theme.parse("[ui]\nleader = \"chartreuse\"\n", file: "bad.toml") }
        do {
            _ = try Theme.parse("[ui]\nleeder = \"red\"\n", file: "bad.toml")
            Issue.record("an unknown key was accepted")
        } catch {
            #expect("\(error)".contains("bad.toml") && "\(error)".contains("ui.leeder"))
        }
        do {
            _ = try Theme.parse("[ui\nleader = 1", file: "broken.toml")
            Issue.record("malformed TOML was accepted")
        } catch {
            #expect("\(error)".hasPrefix("broken.toml:"))
        }
    }

    @Test func aBrokenThemeFileFallsBackToTheDefault() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("themes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[ui]\nleader = { fg = \"red\", blink = true }\n".write(toFile: "\(dir)/odd.toml", atomically: true, encoding: .utf8)
        let (theme, warning) = Theme.load("odd", paths: [dir])
        #expect(theme == Theme.fallback)
        #expect(warning?.contains("ui.leader.blink") == true)
        #expect(Theme.load("nope", paths: [dir]).warning?.contains("no theme \"nope\"") == true)
    }

    @Test func coloursParseAndDegradeToEight() {
        #expect(TermColor("#ff0000") == .index(196))
        #expect(TermColor("#ff0000")?.basic == .index(1))
        #expect(TermColor("bright-cyan")?.basic == .index(6))
        #expect(TermColor("300") == nil && TermColor("nope") == nil)
    }
}
