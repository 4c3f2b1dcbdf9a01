import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

@Suite("Console views")
struct ViewTests {
    func row(_ c: Canvas, _ id: String) -> String {
        c.lines.first { $0.hasPrefix("│ \(id) ") || $0.hasPrefix("│▶\(id) ") || $0.hasPrefix("| \(id) ") || $0.hasPrefix("|>\(id) ") } ?? "(no row for \(id))"
    }

    /// A row with runs of blanks collapsed, to compare cells without the column widths.
    func collapsed(_ c: Canvas, _ id: String) -> String {
        row(c, id).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    @Test func everyKindOfNodeReadsPlainlyWithoutColour() {
        let c = ConsoleView.render(model(mixedSnapshot()), width: 160, height: 30)
        #expect(c.lines[0].hasPrefix(" flotilla · 5 nodes · leader n1 · term 7 · commit 120"))
        #expect(collapsed(c, "n1").hasPrefix("│▶n1 127.0.0.1:811 ★ LEADER 7 n1 120 120 - ✂ cut healthy 1/0/4/0 1m5s │"))
        #expect(collapsed(c, "n2").hasPrefix("│ n2 127.0.0.1:812 follower 7 n1 120 120 0 ✂ cut healthy 1/0/4/0 1m5s │"))
        #expect(row(c, "n3").contains("✕ DOWN") && row(c, "n3").contains("stale 4.0s"))
        #expect(row(c, "n4").contains("learner") && row(c, "n4").contains("snapshot 62%"))
        #expect(row(c, "n5").contains("pre-candidate") && row(c, "n5").contains("✂ cut unreachable"))
        #expect(row(c, "n1").hasPrefix("│▶n1"), "the selection is marked")
    }

    /// A local node's paused process reads as paused at once, before its last answer goes stale.
    @Test func aPausedNodeThatAnsweredAMomentAgoReadsPaused() {
        var s = mixedSnapshot()
        let i = s.nodes.firstIndex { $0.id == "n2" }!
        #expect(s.nodes[i].up)
        s.nodes[i].process = .paused
        let c = ConsoleView.render(model(s), width: 160, height: 30)
        #expect(row(c, "n2").contains("‖ PAUSED"), "\(row(c, "n2"))")
        #expect(!row(c, "n2").contains("follower"))
    }

    @Test func theReachabilityMatrixShowsThePartitionAtAGlance() {
        let c = ConsoleView.render(model(mixedSnapshot()), width: 160, height: 30)
        let matrix = c.lines.compactMap { line -> String? in
            guard line.contains("·"), let r = line.range(of: "│n") else { return nil }
            return String(line[r.lowerBound...]).trimmingCharacters(in: .whitespaces)
        }
        #expect(matrix == [
            "│n1   ·  ●  ?  ●  ✕ │",
            "│n2   ●  ·  ?  ●  ✕ │",
            "│n3   ?  ?  ·  ?  ? │",
            "│n4   ●  ●  ?  ·  ✕ │",
            "│n5   ✕  ✕  ?  ✕  · │",
        ])
    }

    @Test func asciiTerminalsGetNoUnicode() {
        let c = ConsoleView.render(model(mixedSnapshot()), width: 160, height: 30, ascii: true)
        #expect(c.lines.allSatisfy { $0.allSatisfy(\.isASCII) })
        #expect(c.lines.contains { $0.contains("* LEADER") } && c.lines.contains { $0.contains("x DOWN") })
        #expect(c.lines.contains { $0.contains("# cut unreachable") })
    }

    @Test(arguments: [(80, 24), (100, 30), (160, 45), (60, 12)])
    func everySizeFitsAndKeepsTheEssentials(_ size: (Int, Int)) {
        let c = ConsoleView.render(model(mixedSnapshot()), width: size.0, height: size.1)
        #expect(c.lines.count == size.1 && c.lines.allSatisfy { $0.count <= size.0 })
        #expect(c.lines.contains { $0.contains("Nodes") } && c.lines.last!.contains("k kill"))
        #expect(c.lines.contains { $0.contains("Reach") } == (size.0 >= 100))
        // Tasks stand beside the events when wide, above them when tall enough, and give way on a short screen.
        #expect(c.lines.contains { $0.contains("Tasks") } == (size.0 >= 110 || size.1 >= 24))
        #expect(c.lines.contains { $0.contains("Events") })
    }

    @Test func aTinyTerminalIsToldSo() {
        let c = ConsoleView.render(model(mixedSnapshot()), width: 40, height: 8)
        #expect(c.lines.joined(separator: "").hasPrefix("terminal too small: need 60x12, have 40x8"))
    }

    @Test func nineNodesFit() {
        let ids = (1...9).map { "n\($0)" }
        let nodes = ids.map { id in
            NodeObservation(id: id, adminAddress: "a", status: nodeStatus(id, role: id == "n1" ? .leader : .follower, ids: ids), up: true, lastSeen: t0)
        }
        let c = ConsoleView.render(model(ClusterSnapshot(seq: 0, takenAt: t0, nodes: nodes)), width: 160, height: 45)
        for id in ids { #expect(c.lines.contains { $0.contains("│ \(id) ") || $0.contains("│▶\(id) ") }, "\(id) is shown") }
        #expect(c.lines.contains { $0.contains("n9   ●  ●  ●  ●  ●  ●  ●  ●  ·") })
    }

    @Test func eventsTasksAndOverlaysRender() {
        var m = model(mixedSnapshot())
        m.events = [ControlEvent(.observed, node: "n1", "n1 elected leader, term 7 (0.41 s)", at: t0),
                    ControlEvent(.action, "partition {n5} | {n1,n2,n3,n4}: rules set", reason: "operator", at: t0)]
        m.tasks = [TaskView(id: "t-9", key: "k", kind: "sleep", args: [:], target: nil, state: .running, node: "n2", epoch: 1, attempts: 1,
                            maxAttempts: 3, submittedAt: UInt64(t0.timeIntervalSince1970 * 1000) - 400, updatedAt: 0, result: nil, error: nil)]
        let c = ConsoleView.render(m, width: 160, height: 30)
        let text = c.lines.joined(separator: "\n")
        #expect(text.contains("n1 elected leader, term 7 (0.41 s)"))
        #expect(text.contains("partition {n5} | {n1,n2,n3,n4}: rules set (you)"))
        #expect(text.contains("t-9  sleep  n2    running  1    0.4s"))
        m.eventFilter = "partition"
        #expect(!ConsoleView.render(m, width: 160, height: 30).lines.joined().contains("elected"))
        m.overlay = .help
        #expect(ConsoleView.render(m, width: 160, height: 30).lines.contains { $0.contains("kill the selected node (SIGKILL)") })
        m.overlay = .confirm("kill n2?", .run(.kill(node: "n2")))
        #expect(ConsoleView.render(m, width: 160, height: 30).lines.last == "kill n2? [y/N]")
    }

    @Test func diffingTouchesOnlyWhatChanged() {
        var m = model(mixedSnapshot())
        let a = ConsoleView.render(m, width: 120, height: 30)
        m.selected = 1
        let b = ConsoleView.render(m, width: 120, height: 30)
        let changed = Set(b.diff(from: a).map(\.y))
        #expect(changed == [3, 4], "only the two selection rows change")
        #expect(b.diff(from: nil).count == 120 * 30)
    }
}

@Suite("Screen recording output")
struct AnsiTests {
    @Test func theMonoThemeUsesNoColourOnlyBoldAndReverse() throws {
        var m = model(mixedSnapshot())
        m.selected = 1  // not the leader's row, so the leader keeps its own colour
        let frame = ConsoleView.render(m, width: 120, height: 30)
        let mono = AnsiRenderer(theme: .mono, color: false).render(frame, from: nil)
        let sgr = try Regex(#"\u{1B}\[([0-9;]*)m"#)
        let codes = Set(mono.matches(of: sgr).flatMap { String($0.output[1].substring ?? "").split(separator: ";").map(String.init) })
        #expect(codes.isSubset(of: ["0", "1", "7"]), "no colour codes: \(codes.sorted())")
        #expect(codes.contains("7"), "the selection is shown in reverse")
        let coloured = AnsiRenderer(theme: .fallback, color: true).render(frame, from: nil)
        let leaderInYellow = coloured.contains("\u{1B}[0;1;33m")
        #expect(leaderInYellow, "the default theme draws the leader bold yellow")
    }

    @Test func anUnchangedFrameWritesNothingAndAChangeWritesOnlyItself() {
        var m = model(mixedSnapshot())
        let a = ConsoleView.render(m, width: 120, height: 30)
        let r = AnsiRenderer(theme: .fallback, color: true)
        #expect(r.render(a, from: a).isEmpty)
        m.selected = 2
        let b = ConsoleView.render(m, width: 120, height: 30)
        let delta = r.render(b, from: a)
        #expect(!delta.isEmpty && delta.count < r.render(b, from: nil).count / 5)
        #expect(!delta.contains("\u{1B}[2J"), "a delta does not clear the screen")
    }

    @Test func theInMemoryBackendCountsWhatChanged() {
        var m = model(mixedSnapshot())
        let backend = MemoryBackend(width: 120, height: 30)
        backend.present(ConsoleView.render(m, width: 120, height: 30))
        #expect(backend.lines == ConsoleView.render(m, width: 120, height: 30).lines)
        backend.present(ConsoleView.render(m, width: 120, height: 30))
        #expect(backend.lastChanged == 0)
        m.selected = 1
        backend.present(ConsoleView.render(m, width: 120, height: 30))
        #expect(backend.lastChanged > 0 && backend.lastChanged < 400 && backend.frames == 3)
    }
}
