import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

/// Link, disk and clock faults from the console: the `:` commands, the fault keys, and how the
/// matrix and the nodes panel show them.
@Suite("Console faults: command line")
struct FaultCommandLineTests: ParsesCommandLines {
    @Test func everyFaultVerbBecomesTheOperationTheCLIWouldRun() {
        func ms(_ v: Int) -> TimeSpan { TimeSpan(milliseconds: v) }
        func share(_ v: Double) -> Share { Share(fraction: v) }
        let cases: [(String, OperatorCommand)] = [
            ("delay n1->n2 100ms", .delay(links: .oneWay(from: "n1", to: "n2"), delay: ms(100), jitter: ms(0))),
            ("delay n1->n2 100ms 20ms", .delay(links: .oneWay(from: "n1", to: "n2"), delay: ms(100), jitter: ms(20))),
            ("delay n1<->n2 1.5s 250ms", .delay(links: .bothWays("n1", "n2"), delay: ms(1500), jitter: ms(250))),
            ("delay n3 100ms --jitter 20ms", .delay(links: .node("n3"), delay: ms(100), jitter: ms(20))),
            ("delay all 0", .delay(links: .all, delay: ms(0), jitter: ms(0))),
            ("loss n3 10%", .loss(links: .node("n3"), share: share(0.1))), ("loss n1->n2 0.25", .loss(links: .oneWay(from: "n1", to: "n2"), share: share(0.25))),
            ("loss all 0", .loss(links: .all, share: share(0))),
            ("duplicate all 5%", .duplicate(links: .all, share: share(0.05))), ("reorder n1<->n2 20%", .reorder(links: .bothWays("n1", "n2"), share: share(0.2))),
            ("disk n2 slow 50ms", .disk(node: .node("n2"), fault: .slow(ms: 50))), ("disk n2 full", .disk(node: .node("n2"), fault: .full)),
            ("disk n2 ok", .disk(node: .node("n2"), fault: .ok)), ("disk leader full", .disk(node: .leader, fault: .full)),
            ("disk all ok", .disk(node: .all, fault: .ok)), ("disk n2 slow 0", .disk(node: .node("n2"), fault: .ok)),
            ("skew n2 3x", .skew(node: .node("n2"), rate: ClockRate(factor: 3))), ("skew n4 0.5x", .skew(node: .node("n4"), rate: ClockRate(factor: 0.5))),
            ("skew leader 1x", .skew(node: .leader, rate: ClockRate(factor: 1))), ("skew all 2", .skew(node: .all, rate: ClockRate(factor: 2))),
        ]
        for (line, command) in cases { #expect(parse(line) == .run(command), "\(line)") }
    }

    @Test func badFaultLinesSayWhatIsWrong() {
        #expect(error("delay n1->n9 100ms").hasPrefix("delay: unknown node n9; the nodes are n1, n2, n3, n4, n5"))
        #expect(error("delay n1->n1 100ms").contains("two different nodes"))
        #expect(error("delay n1->n2") == "usage: delay LINKS DURATION [JITTER], e.g. delay n1->n2 100ms 20ms")
        #expect(error("delay n1->n2 1 2 3").hasPrefix("usage: delay"))
        #expect(error("delay") .hasPrefix("usage: delay LINKS DURATION [JITTER]"))
        #expect(error("delay n1->n2 100") == "delay: the delay: expected a duration like 250ms, 2s or 1m, got '100'", "a bare number is ambiguous")
        #expect(error("delay n1->n2 soon") == "delay: the delay: expected a duration like 250ms, 2s or 1m, got 'soon'")
        #expect(error("delay n1->n2 -5ms").contains("got '-5ms'"))
        #expect(error("delay n1->n2 100ms 2x") == "delay: the jitter: expected a duration like 250ms, 2s or 1m, got '2x'")
        #expect(error("delay all 2m") == "delay: the delay must be between 0 and 60000 ms, got '2m'")
        #expect(error("delay all 61s") == "delay: the delay must be between 0 and 60000 ms, got '61s'")
        #expect(error("loss n3 110%") == "loss: expected a share like 10% or 0.1 (0% to 100%), got '110%'")
        #expect(error("loss n3 1.5").hasPrefix("loss: expected a share like 10% or 0.1"))
        #expect(error("loss n3 lots") == "loss: expected a share like 10% or 0.1 (0% to 100%), got 'lots'")
        #expect(error("duplicate nine 5%").hasPrefix("duplicate: unknown node nine"))
        #expect(error("reorder n1<->n2").hasPrefix("usage: reorder LINKS SHARE"))
        #expect(error("disk n9 full").hasPrefix("disk: unknown node n9; the nodes are n1, n2, n3, n4, n5, or leader, all"))
        #expect(error("disk n2").hasPrefix("usage: disk N slow DURATION|full|ok"))
        #expect(error("disk n2 wobbly") == "disk: expected slow DURATION, full or ok, got 'wobbly'")
        #expect(error("disk n2 slow").hasPrefix("disk: slow takes the time added to each fsync"))
        #expect(error("disk n2 slow 20s").contains("between 0 and 10000 ms"))
        #expect(error("disk n2 slow 5").hasPrefix("disk: slow: expected a duration like 250ms"))
        #expect(error("skew n2 20x") == "skew: expected a clock rate from 0.1x to 10.0x, like 3x or 0.5x, got '20x'")
        #expect(error("skew n2 fast").contains("got 'fast'"))
        #expect(error("skew n2").hasPrefix("usage: skew N RATE"))
        #expect(error("skew n7 3x").hasPrefix("skew: unknown node n7"))
    }

    @Test func faultVerbsAreRefusedReadOnly() {
        var ro = m
        ro.readonly = true
        for line in ["delay n1->n2 100ms", "loss n3 10%", "duplicate all 5%", "reorder n1<->n2 20%", "disk n2 full", "skew n2 3x"] {
            if case .failure(let e) = CommandLineParser.parse(line, model: ro) {
                #expect(e.description.contains("read-only"), "\(line)")
            } else {
                Issue.record("\(line) ran read-only")
            }
        }
    }

    @Test func faultVerbsAreInTheHelpAndComplete() {
        let help = KeyMap().help(readonly: false, local: true)
        for usage in [":delay LINKS DURATION [JITTER]", ":loss LINKS SHARE", ":duplicate LINKS SHARE", ":reorder LINKS SHARE", ":disk N slow DURATION|full|ok", ":skew N RATE"] {
            #expect(help.contains { $0.hasPrefix(usage) }, "\(usage) in the help")
        }
        #expect(CommandLineParser.complete("del", model: m).text == "delay ")
        #expect(CommandLineParser.complete("d", model: m) == (text: "d", candidates: ["delay", "duplicate", "disk", "deny"]))
        #expect(CommandLineParser.complete("loss a", model: m).text == "loss all ")
        #expect(CommandLineParser.complete("delay n1->", model: m) == (text: "delay n1->n", candidates: ["n1->n2", "n1->n3", "n1->n4", "n1->n5"]))
        #expect(CommandLineParser.complete("reorder n1<->n3", model: m).text == "reorder n1<->n3 ")
        #expect(CommandLineParser.complete("disk l", model: m).text == "disk leader ")
        #expect(CommandLineParser.complete("disk n2 f", model: m).text == "disk n2 full ")
        #expect(CommandLineParser.complete("disk n2 s", model: m).text == "disk n2 slow ")
        #expect(CommandLineParser.complete("skew n2 3", model: m).text == "skew n2 3x ")
        #expect(CommandLineParser.complete("delay n1->n2 1", model: m).candidates.isEmpty, "durations are typed")
    }
}

@Suite("Console faults: keys")
struct FaultKeyTests {
    let keys = KeyMap()

    func delay(_ n: String, _ ms: Int, _ jitter: Int) -> ConsoleAction {
        .run(.delay(links: .node(n), delay: TimeSpan(milliseconds: ms), jitter: TimeSpan(milliseconds: jitter)))
    }
    func loss(_ n: String, _ p: Double) -> ConsoleAction { .run(.loss(links: .node(n), share: Share(fraction: p))) }
    func disk(_ n: String, _ f: DiskFault) -> ConsoleAction { .run(.disk(node: .node(n), fault: f)) }
    func skew(_ n: String, _ r: Double) -> ConsoleAction { .run(.skew(node: .node(n), rate: ClockRate(factor: r))) }

    /// n2 selected; with `faulty` its links are delayed and lossy, its disk full, its clock 3x.
    func model(faulty: Bool) -> ConsoleModel {
        var m = ConsoleTests.model(mixedSnapshot())
        m.selected = 1
        if faulty {
            let i = m.snapshot.nodes.firstIndex { $0.id == "n2" }!
            m.snapshot.nodes[i].status!.faults.links = ["n1": LinkFaultSpec(delayMs: 100, jitterMs: 20, loss: 0.1)]
            m.snapshot.nodes[i].status!.faults.diskFull = true
            m.snapshot.nodes[i].status!.faults.clockRate = 3
        }
        return m
    }

    @Test func eachFaultKeyPutsItsFaultOnTheSelectedNode() {
        let m = model(faulty: false)
        let expected: [(Character, ConsoleAction)] = [
            ("d", delay("n2", 100, 20)), ("o", loss("n2", 0.1)), ("f", disk("n2", .full)), ("w", skew("n2", 3)),
        ]
        for (ch, action) in expected {
            #expect(keys.action(for: .char(ch), model: m).0 == action, "key \(ch)")
            #expect(action.mutates)
        }
    }

    @Test func pressedAgainTheyClearTheirFault() {
        let m = model(faulty: true)
        let expected: [(Character, ConsoleAction)] = [
            ("d", delay("n2", 0, 0)), ("o", loss("n2", 0)), ("f", disk("n2", .ok)), ("w", skew("n2", 1)),
        ]
        for (ch, action) in expected { #expect(keys.action(for: .char(ch), model: m).0 == action, "key \(ch)") }
    }

    @Test func theLinkKeysToggleOnTheirOwnFaultOnly() {
        var m = model(faulty: false)
        let i = m.snapshot.nodes.firstIndex { $0.id == "n2" }!
        m.snapshot.nodes[i].status!.faults.links = ["n3": LinkFaultSpec(loss: 0.3)]
        m.snapshot.nodes[i].status!.faults.fsyncDelayMs = 50
        #expect(keys.action(for: .char("d"), model: m).0 == delay("n2", 100, 20), "a loss is not a delay")
        #expect(keys.action(for: .char("o"), model: m).0 == loss("n2", 0), "any loss on its links is cleared")
        #expect(keys.action(for: .char("f"), model: m).0 == disk("n2", .full), "a slow disk is not a full one")
    }

    /// `d` on n2 sets n2's links both ways: the rules land on n2 and on its peers, whose statuses
    /// may refresh first. A fault seen only on a peer's link to n2 is still n2's to clear.
    @Test func theLinkKeysSeeAPeersLinkToTheNodeToo() {
        var m = model(faulty: false)
        let i = m.snapshot.nodes.firstIndex { $0.id == "n1" }!
        m.snapshot.nodes[i].status!.faults.links = ["n2": LinkFaultSpec(delayMs: 100, jitterMs: 20, loss: 0.1)]
        #expect(keys.action(for: .char("d"), model: m).0 == delay("n2", 0, 0))
        #expect(keys.action(for: .char("o"), model: m).0 == loss("n2", 0))
        m.snapshot.nodes[i].status!.faults.links = ["n4": LinkFaultSpec(delayMs: 100)]
        #expect(keys.action(for: .char("d"), model: m).0 == delay("n2", 100, 20), "a link between two others is not n2's")
    }

    @Test func aDownNodeIsTreatedAsClean() {
        var m = model(faulty: false)
        m.selected = 2  // n3, down
        #expect(keys.action(for: .char("f"), model: m).0 == disk("n3", .full))
        #expect(keys.action(for: .char("w"), model: m).0 == skew("n3", 3))
    }

    @Test func faultKeysAreRefusedReadOnlyButWorkOnRemoteNodes() {
        var m = model(faulty: false)
        m.readonly = true
        for ch: Character in ["d", "o", "f", "w"] {
            let (action, why) = keys.action(for: .char(ch), model: m)
            #expect(action == nil && why?.contains("read-only") == true, "key \(ch): \(why ?? "")")
        }
        #expect(!keys.bar(readonly: true, local: true).contains { ["d", "o", "f", "w"].contains($0.key) })
        m.readonly = false
        m.local = false
        #expect(keys.action(for: .char("d"), model: m).0 == delay("n2", 100, 20), "faults need no local processes")
        #expect(keys.action(for: .char("f"), model: m).0 == disk("n2", .full))
    }

    @Test func theFaultKeysAreFreeAndInTheHelp() {
        let bound = keys.bindings.map(\.key)
        #expect(Set(bound).count == bound.count, "no key is bound twice")
        #expect(!bound.contains("j") && !bound.contains("x"))
        let help = keys.help(readonly: false, local: true)
        for (key, words) in [("d", "delay the selected node's links 100ms±20"), ("o", "lose 10%"), ("f", "fill the selected node's disk"),
                             ("w", "clock 3x fast")] {
            #expect(help.contains { $0.hasPrefix(key + " ") && $0.contains(words) }, "\(key) in the help")
        }
    }

    @Test func theKeyBarShowsWholeEntriesAndAlwaysTheHelpAndQuitKeys() {
        for width in [60, 80, 100, 120, 160, 200] {
            let bar = keys.barText(readonly: false, local: true, width: width)
            #expect(bar.count <= width, "\(width): \(bar)")
            #expect(bar.hasPrefix(" k kill  r restart"), "\(width): \(bar)")
            #expect(bar.contains("? help") && bar.contains("q quit"), "\(width): \(bar)")
            let labels = keys.bar(readonly: false, local: true).map { "\($0.key) \($0.label)" }
            let entries = bar.dropFirst().components(separatedBy: "  ")
            #expect(entries.allSatisfy(labels.contains), "\(width): whole entries only: \(entries)")
        }
        #expect(keys.barText(readonly: false, local: true, width: 80).contains(": command"), "the command line shows at 80 columns")
        #expect(keys.barText(readonly: false, local: true, width: 200).hasSuffix("/ filter  : command  ? help  q quit"))
        #expect(keys.barText(readonly: true, local: true, width: 80) == " F faults  L leaders  H history  / filter  : command  ? help  q quit")
    }
}

@Suite("Console faults: views")
struct FaultViewTests {
    func render(_ s: ClusterSnapshot, _ w: Int, _ h: Int, ascii: Bool = false) -> [String] {
        ConsoleView.render(model(s), width: w, height: h, ascii: ascii).lines
    }

    func row(_ lines: [String], _ id: String) -> String {
        lines.first { $0.hasPrefix("│ \(id) ") || $0.hasPrefix("│▶\(id) ") || $0.hasPrefix("| \(id) ") || $0.hasPrefix("|>\(id) ") } ?? "(no row for \(id))"
    }

    /// The matrix's rows, from its `│n` on.
    func matrix(_ lines: [String]) -> [String] {
        lines.compactMap { line -> String? in
            guard line.contains("·"), let r = line.range(of: "│n", options: .backwards) else { return nil }
            return String(line[r.lowerBound...])
        }
    }

    @Test func aFaultyLinkIsMarkedInTheMatrixAndDescribedUnderIt() {
        var s = mixedSnapshot()
        s.nodes[0].status!.faults.links["n2"] = LinkFaultSpec(delayMs: 100, loss: 0.1)
        let c = ConsoleView.render(model(s), width: 160, height: 45)
        let rows = matrix(c.lines).map { String($0.prefix(19)) }
        #expect(rows == [
            "│n1   ·  ~  ?  ●  ✕",
            "│n2   ●  ·  ?  ●  ✕",
            "│n3   ?  ?  ·  ?  ?",
            "│n4   ●  ●  ?  ·  ✕",
            "│n5   ✕  ✕  ?  ✕  ·",
        ], "only n1->n2 is faulty, and only that way")
        // The mark has the degraded role; the healthy links keep theirs.
        func column(_ line: String, _ text: String) -> Int? {
            let cells = Array(line.unicodeScalars), want = Array(text.unicodeScalars)
            return cells.indices.first { i in i + want.count <= cells.count && Array(cells[i..<(i + want.count)]) == want }
        }
        let y = c.lines.firstIndex { $0.contains("│n1   ·") }!
        let x = column(c.lines[y], "~")!
        #expect(c[x, y].role == .catchingUp && c[x + 6, y].role == .healthy)
        // Described in the matrix's panel, under its rows.
        let reachX = column(c.lines[1], "┌ Reach")!
        let described = c.lines.firstIndex { $0.contains("~ n1->n2 delay 100ms loss 10%") }
        #expect(described.flatMap { column(c.lines[$0], "~ n1->n2") } == reachX + 1)
        #expect(described.map { $0 > y + 4 } == true)
    }

    @Test func theDescriptionsNameTheLinksAsTheCommandsDo() {
        var s = mixedSnapshot()
        for i in s.nodes.indices { s.nodes[i].status!.faults.drop = [] }
        #expect(ConsoleView.linkFaultLines(s, ascii: false).isEmpty)
        // `delay n2 100ms 20ms`: every live node's link to n2 and n2's to every node.
        for i in s.nodes.indices where s.nodes[i].up {
            if s.nodes[i].id == "n2" {
                for p in ["n1", "n3", "n4", "n5"] { s.nodes[i].status!.faults.links[p] = LinkFaultSpec(delayMs: 100, jitterMs: 20) }
            } else {
                s.nodes[i].status!.faults.links["n2"] = LinkFaultSpec(delayMs: 100, jitterMs: 20)
            }
        }
        #expect(ConsoleView.linkFaultLines(s, ascii: false) == ["~ n2 delay 100ms±20"])
        #expect(ConsoleView.linkFaultLines(s, ascii: true) == ["~ n2 delay 100ms+-20"])
        // On top, `loss all 5%` (every link of every live node) and `reorder n1<->n4 20%`.
        for i in s.nodes.indices where s.nodes[i].up { s.nodes[i].status!.faults.loss = 0.05 }
        s.nodes[0].status!.faults.links["n4"] = LinkFaultSpec(reorder: 0.2)
        s.nodes[3].status!.faults.links["n1"] = LinkFaultSpec(reorder: 0.2)
        #expect(ConsoleView.linkFaultLines(s, ascii: false) == ["~ all loss 5%", "~ n2 delay 100ms±20", "~ n1<->n4 reorder 20%"])
        // A node that came back without the fault on every link: the others are named.
        s.nodes[4].status!.faults.loss = 0
        #expect(ConsoleView.linkFaultLines(s, ascii: false).first == "~ n1->all, n2->all, n4->all loss 5%")
        // The matrix marks a link by what it carries in all: n5's links to n1 are clean now.
        #expect(ConsoleView.linkFault(s.nodes[4], to: "n1") == nil)
        let both = ConsoleView.linkFault(s.nodes[0], to: "n2")
        #expect(both?.delayMs == 100 && both?.loss == 0.05)
    }

    @Test func diskAndClockFaultsReadInTheStatusCell() {
        let lines = render(faultySnapshot(), 160, 45)
        #expect(row(lines, "n2").contains("healthy slow-disk 50ms"), "\(row(lines, "n2"))")
        #expect(row(lines, "n4").contains("✂ cut snapshot 62% clock 3x"), "\(row(lines, "n4"))")
        #expect(!row(lines, "n1").contains("disk") && !row(lines, "n1").contains("clock"))
        var s = faultySnapshot()
        s.nodes[1].status!.faults.diskFull = true
        s.nodes[1].status!.storageError = "fsync failed: No space left on device"
        let full = render(s, 160, 45)
        // The columns follow from the width alone: a status longer than its room ends in `…`.
        #expect(row(full, "n2").contains("storage-error disk-full"), "\(row(full, "n2"))")
    }

    @Test func at80x24TheFaultsShowWithoutTheMatrixAndTheEssentialColumnsStay() {
        let lines = render(faultySnapshot(), 80, 24)
        #expect(!lines.contains { $0.contains("Reach") })
        #expect(lines.contains { $0.contains("│ ~ n1->n2 delay 100ms±20 loss 10%") }, "the link faults under the nodes")
        #expect(lines.contains { $0.contains("│ ~ n2<->n4 reorder 20%") })
        let header = lines.first { $0.contains(" ID ") }!
        for column in ["ROLE", "LAG", "STATUS", "TASKS"] { #expect(header.contains(column), "\(column) in \(header)") }
        #expect(row(lines, "n2").contains("slow-disk 50ms") && row(lines, "n2").contains("1/0/4"), "\(row(lines, "n2"))")
        #expect(row(lines, "n4").contains("clock 3x") && row(lines, "n4").contains("1/0/4"), "\(row(lines, "n4"))")
        #expect(lines.contains { $0.contains("Tasks") } && lines.contains { $0.contains("Events") })
        #expect(lines.count == 24 && lines.allSatisfy { $0.count <= 80 })
    }

    @Test func aLongStatusGivesWayBeforeTheTasksColumn() {
        var s = faultySnapshot()
        s.nodes[4].status!.faults.diskFull = true
        s.nodes[4].status!.faults.clockRate = 0.5
        let lines = render(s, 80, 24)
        let n5 = row(lines, "n5")
        #expect(n5.contains("1/0/4") && n5.contains("…"), "the status is cut, the tasks stay: \(n5)")
        #expect(n5.contains("pre-candidate") && n5.contains("✂ cut unreachable"))
    }

    @Test func manyFaultsAtASmallSizeSayHowManyMore() {
        var s = mixedSnapshot()
        for i in s.nodes.indices where s.nodes[i].up {
            for (k, p) in ["n1", "n2", "n3", "n4", "n5"].enumerated() where p != s.nodes[i].id {
                s.nodes[i].status!.faults.links[p] = LinkFaultSpec(delayMs: 10 * (i + 1) + k)
            }
        }
        let lines = render(s, 80, 24)
        #expect(lines.contains { $0.contains("│ ~ and ") && $0.contains("more link faults") }, "\(lines.joined(separator: "\n"))")
        let small = render(s, 60, 12)
        #expect(small.contains { $0.contains("~ ") && $0.contains("more)") }, "one row at least, with the count: \(small.joined(separator: "\n"))")
        #expect(small.count == 12 && small.allSatisfy { $0.count <= 60 })
    }

    @Test(arguments: [(80, 24), (100, 30), (160, 45), (60, 12)])
    func everySizeFitsWithFaults(_ size: (Int, Int)) {
        let lines = render(faultySnapshot(), size.0, size.1)
        #expect(lines.count == size.1 && lines.allSatisfy { $0.count <= size.0 })
        #expect(lines.contains { $0.contains("n1->n2 delay 100ms±20 loss 10%") }, "\(size): the link fault shows")
        #expect(lines.contains { $0.contains("Reach") } == (size.0 >= 100))
        let ascii = render(faultySnapshot(), size.0, size.1, ascii: true)
        #expect(ascii.allSatisfy { $0.allSatisfy(\.isASCII) } && ascii.contains { $0.contains("n1->n2 delay 100ms+-20 loss 10%") })
    }
}

@Suite("Console faults: through ClusterControl")
struct FaultActionTests {
    /// The first operator action event matching `verb`, waited for (the console runs actions as tasks).
    func action(_ verb: String, in control: ClusterControl) async throws -> ControlEvent? {
        for _ in 0..<200 {
            if let e = control.events.recent.first(where: { $0.action?.verb == verb }) { return e }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// The keys and the command line run their faults through `ClusterControl`, which records
    /// each as an operator action (what transcripts keep) with who asked; read-only refuses them
    /// before they get there. The control's cluster is one silent node, so the actions fail there.
    @Test func faultKeysAndCommandsRunThroughClusterControlAndAreRecorded() async throws {
        let admin = AdminClient(token: nil)
        let control = ClusterControl(client: ClusterClient(members: [(id: "n1", admin: "127.0.0.1:9")], admin: admin))
        let app = ConsoleApp(control: control, options: ConsoleApp.Options())
        var m = model(mixedSnapshot())
        m.selected = 1

        #expect(app.handle(.char("w"), &m) == false)
        let skew = try await action("skew", in: control)
        #expect(skew?.action?.target == "n2" && skew?.action?.by == "key w" && skew?.action?.args == ["rate": "3.0"], "\(String(describing: skew))")
        #expect(skew?.action?.command == .skew(node: .node("n2"), rate: ClockRate(factor: 3)), "the action carries the command as given")
        #expect(skew?.ok == false && skew?.message.hasPrefix("skew 3x on n2 failed") == true, "\(skew?.message ?? "")")

        m.overlay = .prompt(kind: .command, text: "delay n1->n2 100ms 20ms")
        _ = app.handle(.enter, &m)
        let delay = try await action("delay", in: control)
        #expect(delay?.action?.target == "n1->n2" && delay?.action?.by == "command" && delay?.action?.args == ["ms": "100", "jitter": "20"],
                "\(String(describing: delay))")
        #expect(delay?.action?.command == .delay(links: .oneWay(from: "n1", to: "n2"), delay: TimeSpan(milliseconds: 100), jitter: TimeSpan(milliseconds: 20)))

        m.overlay = .prompt(kind: .command, text: "loss n1->n2 lots")
        _ = app.handle(.enter, &m)
        #expect(control.events.recent.last?.message == "loss: expected a share like 10% or 0.1 (0% to 100%), got 'lots'", "a bad line is reported as other command errors are")
        #expect(control.events.recent.last?.ok == false)

        m.readonly = true
        for key: Character in ["d", "o", "f"] { _ = app.handle(.char(key), &m) }
        let refusals = control.events.recent.suffix(3).map(\.message)
        #expect(refusals == ["delay: read-only console (--readonly)", "loss: read-only console (--readonly)", "disk: read-only console (--readonly)"])
        #expect(!control.events.recent.contains { ["loss", "disk"].contains($0.action?.verb ?? "") }, "nothing ran read-only")
        await admin.shutdown()
    }
}
