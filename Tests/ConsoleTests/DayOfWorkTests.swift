import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

/// What an operator who lives in the console for a day needs from it: no text cut without a
/// sign, a help that scrolls to its end, a key bar that always says how to get help and quit,
/// events that open whole, and prompts that edit like a shell's and remember.
@Suite("Console: a day of work")
struct DayOfWorkTests {
    static let longEvent = "n3 died: storage failed: fsync …/wal-0000000000000001.log failed: Input/output error (errno 5); "
        + "the node stopped to keep its log honest, see node.log in its data directory for the last words it wrote"

    /// A control whose one node never answers: the prompts here run only view changes. Kept for
    /// the whole run (its HTTP client is never shut down, so it must never be released).
    static let control = ClusterControl(client: ClusterClient(members: [(id: "n1", admin: "127.0.0.1:9")], admin: AdminClient(token: nil)))

    func screen(_ m: ConsoleModel, _ w: Int, _ h: Int, ascii: Bool = false) -> [String] {
        var m = m
        ConsoleView.clampOverlay(&m, width: w, height: h)
        return ConsoleView.render(m, width: w, height: h, ascii: ascii).lines
    }

    func withLongEvent() -> ConsoleModel {
        var m = model(mixedSnapshot())
        m.events = [ControlEvent(.observed, node: "n3", Self.longEvent, ok: false, at: t0, category: "node-died")]
        return m
    }

    // MARK: - Nothing is cut silently

    @Test func textThatDoesNotFitEndsInAnEllipsis() {
        #expect(Canvas.fit("abcdef", width: 4) == "abc…")
        #expect(Canvas.fit("abcdef", width: 4, ascii: true) == "abc~")
        #expect(Canvas.fit("abcd  ", width: 4) == "abcd", "blanks past the edge are no loss")
        #expect(Canvas.fit("abc", width: 4) == "abc")
        var ascii = Canvas(width: 20, height: 1, ascii: true)
        ascii.put("submit [k=v …] ±20", x: 0, y: 0)
        #expect(ascii.lines[0] == "submit [k=v ~] +20", "common symbols have ASCII stand-ins, not ?")
        var c = Canvas(width: 10, height: 1)
        c.put("0123456789ABC", x: 0, y: 0)
        #expect(c.lines[0] == "012345678…")
    }

    @Test(arguments: [(80, 24), (160, 45)])
    func anOverLongEventEndsInAnEllipsis(_ size: (Int, Int)) {
        let lines = screen(withLongEvent(), size.0, size.1)
        let row = lines.first { $0.contains("n3 died: storage failed") } ?? ""
        #expect(row.hasSuffix("…│"), "\(row)")
        let ascii = screen(withLongEvent(), size.0, size.1, ascii: true)
        #expect(ascii.first { $0.contains("n3 died") }?.hasSuffix("~|") == true)
    }

    @Test func enterOnASelectedEventOpensItWholeAndEscReturns() {
        var m = withLongEvent()
        m.events.insert(ControlEvent(.action, "heal: complete", reason: "operator", at: t0.addingTimeInterval(-1)), at: 0)
        #expect(ViewKeys.handle(.tab, &m) && m.focus == .events)
        #expect(m.selectedVisibleEvent?.message == Self.longEvent, "the newest first")
        #expect(screen(m, 80, 24).contains { $0.contains("Events · ↑↓ Enter opens · Tab back") }, "the panel says it has the arrows")
        _ = ViewKeys.handle(.up, &m)
        #expect(m.selectedVisibleEvent?.message == "heal: complete")
        _ = ViewKeys.handle(.down, &m)
        #expect(ViewKeys.handle(.enter, &m))
        let lines = screen(m, 80, 24)
        let text = lines.joined(separator: "\n")
        for piece in ["see node.log in its data", "last words it wrote", "category  node-died", "node      n3"] {
            #expect(text.contains(piece), "\(piece) in the event's overlay")
        }
        #expect(!lines.contains { $0.contains("…│ ") }, "nothing of the event is cut")
        _ = ViewKeys.handle(.escape, &m)
        #expect(m.overlay == nil && m.focus == .events)
    }

    @Test func theFilterTakesTheArrowsAndEscClearsIt() throws {
        let dir = try TempDir()
        let app = ConsoleApp(control: Self.control, options: options(history: dir.path + "/history"))
        var m = withLongEvent()
        m.events.append(ControlEvent(.observed, "n1 elected leader, term 7", at: t0))
        m.overlay = .prompt(kind: .filter, text: "died")
        _ = app.handle(.enter, &m)
        #expect(m.eventFilter == "died" && m.focus == .events && m.visibleEvents.count == 1)
        _ = app.handle(.enter, &m)
        #expect(m.overlay == .event(m.visibleEvents[0]), "Enter opens the match")
        _ = app.handle(.escape, &m)
        _ = app.handle(.escape, &m)
        #expect(m.eventFilter.isEmpty && m.focus == .nodes, "Esc clears the filter")
    }

    // MARK: - Help

    /// Every line of the help can be brought into view at 80x24 by scrolling, the last one with G.
    @Test func helpAt80x24ReachesItsLastLineByScrolling() {
        var m = model(mixedSnapshot())
        m.overlay = .help
        let help = KeyMap().help(readonly: false, local: true)
        var seen = Set(screen(m, 80, 24))
        #expect(!seen.contains { $0.contains(":quit") }, "the help is longer than the screen")
        for _ in 0..<help.count * 2 {
            _ = ViewKeys.handle(.char("j"), &m)
            ConsoleView.clampOverlay(&m, width: 80, height: 24)
            seen.formUnion(screen(m, 80, 24))
        }
        for line in help where !line.isEmpty {
            let start = String(line.prefix(30)).trimmingCharacters(in: .whitespaces)
            #expect(seen.contains { $0.contains(start) }, "\(start) is reachable")
        }
        _ = ViewKeys.handle(.char("g"), &m)
        _ = ViewKeys.handle(.char("G"), &m)
        let end = screen(m, 80, 24)
        #expect(end.contains { $0.contains(":quit") && $0.contains("leave the console") }, "G shows the last line")
        #expect(end.contains { $0.contains(" of ") && $0.contains("g/G") }, "the box says where it stands")
        _ = ViewKeys.handle(.char("q"), &m)
        #expect(m.overlay == nil)
    }

    @Test func theHelpIsBuiltFromTheKeyMapAndTheVerbs() {
        let keys = KeyMap()
        let help = keys.help(readonly: false, local: true)
        for b in keys.bindings { #expect(help.contains { $0.hasPrefix(b.key + " ") && $0.contains(b.help) }, "\(b.key)") }
        for v in CommandLineParser.verbs { #expect(help.contains { $0.hasPrefix(":" + v.usage) }, "\(v.usage)") }
        #expect(help.contains { $0.contains("Ctrl-W") } && help.contains { $0.contains("Tab") })
    }

    // MARK: - The key bar

    @Test(arguments: [60, 80, 160])
    func theKeyBarAlwaysHasHelpAndQuit(_ width: Int) {
        let bar = screen(model(mixedSnapshot()), width, 24).last ?? ""
        #expect(bar.contains("? help") && bar.contains("q quit"), "\(width): \(bar)")
        #expect(bar.count < width, "the screen's last cell is never sent to the terminal: \(bar)")
        if width >= 80 { #expect(bar.contains(": command") && bar.contains("/ filter"), "\(width): \(bar)") }
        var remote = model(mixedSnapshot())
        remote.local = false
        remote.readonly = true
        let ro = screen(remote, width, 24).last ?? ""
        #expect(ro.contains("? help") && ro.contains("q quit"), "\(width): \(ro)")
        var playback = model(mixedSnapshot())
        playback.playback = PlaybackBar(position: 1, duration: 70, playing: true, speed: 1, actions: 1, totalActions: 3)
        let bar2 = screen(playback, width, 24).last ?? ""
        #expect(bar2.hasSuffix("? help  q quit") && bar2.count < width, "\(width): \(bar2)")
        #expect(!bar2.contains("kill") && !bar2.contains("filter"), "only keys that work in playback")
        playback.playback?.playing = false
        #expect(!(screen(playback, width, 24).last ?? "").contains("⏸"), "no symbol a terminal may draw two cells wide")
    }

    // MARK: - Prompts

    @Test func theLineEditsLikeAShell() {
        var line = LineEditor("partition n1,n2|n3")
        #expect(line.apply(.control("w")) && line.text == "partition " && line.cursor == 10)
        _ = line.apply(.char("m"))
        #expect(line.text == "partition m")
        #expect(line.apply(.control("a")) && line.cursor == 0)
        _ = line.apply(.char("x"))
        #expect(line.text == "xpartition m" && line.cursor == 1)
        _ = line.apply(.backspace)
        _ = line.apply(.delete)
        #expect(line.text == "artition m")
        _ = line.apply(.char("p"))
        _ = line.apply(.control("e"))
        _ = line.apply(.left)
        _ = line.apply(.left)
        #expect(line.cursor == 9)
        _ = line.apply(.control("u"))
        #expect(line.text == " m" && line.cursor == 0, "Ctrl-U kills to the start")
        #expect(line.apply(.control("g")) && line.text == " m", "another control key is not typed")
        #expect(!line.apply(.enter) && !line.apply(.tab) && !line.apply(.up))
        var words = LineEditor("delay n1->n2 100ms   ")
        _ = words.apply(.control("w"))
        #expect(words.text == "delay n1->n2 ", "Ctrl-W takes the blanks and the word before them")
    }

    @Test func theAppEditsAtTheCursorAndNeverTypesControlKeys() throws {
        let dir = try TempDir()
        let app = ConsoleApp(control: Self.control, options: options(history: dir.path + "/history"))
        var m = model(mixedSnapshot())
        _ = app.handle(.char(":"), &m)
        for ch in "kill n2" { _ = app.handle(.char(ch), &m) }
        _ = app.handle(.control("u"), &m)
        #expect(m.overlay == .prompt(kind: .command, text: ""), "Ctrl-U empties the line; it never types ^U")
        for ch in "tasks n2" { _ = app.handle(.char(ch), &m) }
        _ = app.handle(.control("w"), &m)
        for ch in "failed" { _ = app.handle(.char(ch), &m) }
        _ = app.handle(.control("a"), &m)
        _ = app.handle(.right, &m)
        _ = app.handle(.backspace, &m)
        #expect(m.overlay == .prompt(kind: .command, text: "asks failed") && m.promptCursor == 0)
        let bar = screen(m, 80, 24).last ?? ""
        #expect(bar.hasPrefix(":asks failed"), "\(bar)")
    }

    /// Lines entered in one run come back with Up in the next, from the XDG state directory.
    @Test func historyPersistsAcrossTwoAppInstances() throws {
        let dir = try TempDir()
        #expect(PromptHistory.defaultPath(environment: ["XDG_STATE_HOME": dir.path, "HOME": "/home/x"]) == dir.path + "/flotilla/history")
        #expect(PromptHistory.defaultPath(environment: ["XDG_STATE_HOME": "relative", "HOME": "/home/x"]) == "/home/x/.local/state/flotilla/history")
        let file = PromptHistory.defaultPath(environment: ["XDG_STATE_HOME": dir.path])!
        let control = Self.control
        do {
            let first = ConsoleApp(control: control, options: options(history: file))
            var m = model(mixedSnapshot())
            for line in ["tasks failed", "tasks n2"] {
                _ = first.handle(.char(":"), &m)
                for ch in line { _ = first.handle(.char(ch), &m) }
                _ = first.handle(.enter, &m)
            }
            _ = first.handle(.char("/"), &m)
            for ch in "elected" { _ = first.handle(.char(ch), &m) }
            _ = first.handle(.enter, &m)
        }
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600, "the history is the owner's only")
        let second = ConsoleApp(control: control, options: options(history: file))
        var m = model(mixedSnapshot())
        _ = second.handle(.char(":"), &m)
        for ch in "tas" { _ = second.handle(.char(ch), &m) }
        _ = second.handle(.up, &m)
        #expect(m.overlay == .prompt(kind: .command, text: "tasks n2"))
        _ = second.handle(.up, &m)
        #expect(m.overlay == .prompt(kind: .command, text: "tasks failed"))
        _ = second.handle(.up, &m)
        #expect(m.overlay == .prompt(kind: .command, text: "tasks failed"), "the oldest stays; filters are not command lines")
        _ = second.handle(.down, &m)
        _ = second.handle(.down, &m)
        #expect(m.overlay == .prompt(kind: .command, text: "tas"), "Down past the newest brings back what was typed")
        _ = second.handle(.escape, &m)
        _ = second.handle(.char("/"), &m)
        _ = second.handle(.control("u"), &m)
        _ = second.handle(.up, &m)
        #expect(m.overlay == .prompt(kind: .filter, text: "elected"))
    }

    @Test func theHistoryIsBounded() throws {
        let dir = try TempDir()
        var h = PromptHistory(path: dir.path + "/h")
        for i in 0..<(PromptHistory.limit + 20) { h.add("kill n\(i)", kind: .command) }
        let again = PromptHistory(path: dir.path + "/h")
        #expect(again.lines(.command).count == PromptHistory.limit && again.lines(.command).last == "kill n\(PromptHistory.limit + 19)")
    }

    // MARK: - One unit, one label

    /// A busy cluster at 80 columns: the name gives way before the modes do.
    @Test func theHeaderKeepsTheModesAt80Columns() {
        var m = model(mixedSnapshot())
        m.snapshot.nodes[0].status?.commit = 1_955_000
        m.opsHistory = [59]
        m.loadOn = true
        let header = screen(m, 80, 24)[0]
        #expect(header.contains("load on") && header.contains("59 commits/s") && !header.contains("…"), "\(header)")
    }

    /// The header says what the load sends, writes and reads apart, not only that it is on.
    @Test func theHeaderSaysWhatTheLoadSendsWritesAndReadsApart() {
        var m = model(mixedSnapshot())
        m.opsHistory = [59]
        m.loadOn = true
        m.loadPlan = .standard
        let wide = screen(m, 160, 45)[0]
        #expect(wide.contains("load 15 writes/s + 5 reads/s") && wide.contains("59 commits/s"), "\(wide)")
        let narrow = screen(m, 80, 24)[0]
        #expect(narrow.contains("load 15w+5r/s") && !narrow.contains("…"), "\(narrow)")
        m.loadPlan = LoadPlan(rate: 50, kind: "echo", readEvery: 4)
        #expect(screen(m, 160, 45)[0].contains("load 37.5 writes/s + 12.5 reads/s"))
        // A recording's load: on from its `load on` (20 ops/s, recorded without reads) until its `load off`.
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/console-kill-restart-isolate-transfer.jsonl").path
        var p = Playback(try! Transcript.read(file))
        let base = ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: t0, nodes: []))
        p.seek(8)
        #expect(screen(p.model(base: base), 160, 45)[0].contains("load 20 writes/s"), "\(screen(p.model(base: base), 160, 45)[0])")
        p.seek(12)
        #expect(!screen(p.model(base: base), 160, 45)[0].contains("load"))
    }

    @Test func tasksHaveALegendAndCountFailedAndTheRateSaysWhatItCounts() {
        var s = mixedSnapshot()
        s.nodes[0].status?.tasks = TaskCounts(byState: [.queued: 2, .running: 3, .succeeded: 120, .failed: 7], queued: 2)
        var m = model(s)
        m.opsHistory = [40]
        let lines = screen(m, 160, 45)
        #expect(lines.contains { $0.contains("TASKS q/r/d/f") })
        #expect(lines.first { $0.contains("│▶n1 ") }?.contains("2/3/120/7") == true)
        #expect(lines[0].contains("40 commits/s"), "\(lines[0])")
        #expect(s.table().contains("TASKS q/r/d/f") && s.table().contains("2/3/120/7"), "flotilla status says the same")
    }

    /// A loss set from a key reads as a percentage in its event, as in the nodes panel.
    @Test func aShareReadsAsAPercentageInTheEvents() async throws {
        let control = ClusterControl(client: ClusterClient(members: [(id: "n1", admin: "127.0.0.1:9")], admin: AdminClient(token: nil)))
        let app = ConsoleApp(control: control, options: options(history: nil))
        var m = model(mixedSnapshot())
        m.selected = 1
        _ = app.handle(.char("o"), &m)
        // Generous: the full suite's CPU-bound tests can hold the shared threads for a long while.
        let deadline = ContinuousClock.now + .seconds(90)
        var event: ControlEvent?
        while event == nil, ContinuousClock.now < deadline {
            event = control.events.recent.first { $0.action?.verb == "loss" }
            if event == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        await control.client.admin.shutdown()
        #expect(event?.message.hasPrefix("loss 10% on n2") == true, "\(event?.message ?? "no event")")
    }

    @Test func aFilterThatMatchesNoTaskSaysSoAndHowMany() {
        var s = mixedSnapshot()
        s.nodes[0].status?.tasks = TaskCounts(byState: [.succeeded: 2000], queued: 0)
        var m = model(s)
        m.tasks = (1...3).map { i in
            TaskView(id: "t-\(i)", key: "k", kind: "sleep", args: [:], target: nil, state: .succeeded, node: nil, epoch: 1, attempts: 1,
                     maxAttempts: 3, submittedAt: 0, updatedAt: 0, result: nil, error: nil)
        }
        m.taskState = .failed
        #expect(screen(m, 160, 45).contains { $0.contains("no failed tasks (2000 in all)") })
        m.tasks = []
        m.taskState = nil
        m.snapshot = mixedSnapshot()
        m.snapshot.nodes[0].status?.tasks = TaskCounts()
        m.playback = PlaybackBar(position: 0, duration: 1, playing: false, speed: 1, actions: 0, totalActions: 0)
        let empty = screen(m, 160, 45)
        #expect(empty.contains { $0.contains("no tasks in this recording") } && !empty.contains { $0.contains("s submits") })
    }

    func options(history: String?) -> ConsoleApp.Options {
        var o = ConsoleApp.Options()
        o.historyFile = history
        return o
    }
}

/// A directory removed when the test is done with it.
final class TempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-console-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("Console: the commit rate")
struct CommitRateTests {
    func snapshot(commit: UInt64, heard: Date, taken: Date) -> ClusterSnapshot {
        var s = mixedSnapshot()
        s.nodes[0].status?.commit = commit
        s.nodes[0].lastSeen = heard
        s.takenAt = taken
        return s
    }

    /// Committed entries over the time between the leader's two answers, not the rounds' ends.
    @Test func theRateIsCommitsBetweenTheLeadersAnswers() {
        var rate = CommitRate()
        #expect(rate.sample(snapshot(commit: 100, heard: t0, taken: t0)) == nil, "one sample is no rate")
        #expect(rate.sample(snapshot(commit: 160, heard: t0.addingTimeInterval(2), taken: t0.addingTimeInterval(3))) == 30)
        #expect(rate.sample(snapshot(commit: 160, heard: t0.addingTimeInterval(2), taken: t0.addingTimeInterval(4))) == nil,
                "the same answer again is not a new sample")
        #expect(rate.sample(snapshot(commit: 200, heard: t0.addingTimeInterval(4), taken: t0.addingTimeInterval(4))) == 20)
    }
}
