import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

/// What is broken now (`F`): every fault in force, who set it and when, what `u` undoes;
/// `flotilla status` and the narrow layout name the cut links.
@Suite("The fault list")
struct FaultListTests {
    /// The faulty fixture's faults with the action events that set them.
    static func attributedModel() -> ConsoleModel {
        var m = GoldenScreenTests.faultyModel()
        m.events += [
            ControlEvent(.action, "partition n5: rules set", reason: "operator", at: t0.addingTimeInterval(-30), category: "isolate",
                         action: OperatorAction(verb: "isolate", target: "n5", by: "key p", startedAt: t0.addingTimeInterval(-30))),
            ControlEvent(.action, "delay n1->n2: set", reason: "operator", at: t0.addingTimeInterval(-20), category: "delay",
                         action: OperatorAction(verb: "delay", target: "n1->n2", by: "command", startedAt: t0.addingTimeInterval(-20))),
            ControlEvent(.action, "skew n4 3x: set", reason: "operator", at: t0.addingTimeInterval(-10), category: "skew",
                         action: OperatorAction(verb: "skew", target: "n4", by: "chaos", startedAt: t0.addingTimeInterval(-10))),
        ]
        return m
    }

    @Test func everyFaultInForceIsListedWithWhoSetItAndWhatUndoesIt() throws {
        let m = Self.attributedModel()
        let entries = FaultLedger.entries(m.snapshot, events: m.events)
        let summaries = entries.map(\.summary)
        for expected in ["cut n1<->n5", "cut n2<->n5", "cut n4<->n5", "link n1->n2: delay 100ms±20 loss 10%", "link n2<->n4: reorder 20%",
                         "disk n2: slow 50ms", "clock n4: 3x", "stopped n3"] {
            #expect(summaries.contains(expected), "\(expected) in \(summaries)")
        }
        let delay = entries.first { $0.target == "n1->n2" }
        #expect(delay?.setBy == "command" && delay?.setAt == t0.addingTimeInterval(-20))
        #expect(delay?.undo == [.delay(links: .oneWay(from: "n1", to: "n2"), delay: TimeSpan(milliseconds: 0), jitter: TimeSpan(milliseconds: 0)),
                                .loss(links: .oneWay(from: "n1", to: "n2"), share: Share(fraction: 0))])
        #expect(entries.first { $0.kind == "clock" }?.setBy == "chaos")
        #expect(entries.first { $0.target == "n1<->n5" }?.setBy == "key p")
        #expect(entries.first { $0.kind == "clock" }?.undo == [.skew(node: .node("n4"), rate: ClockRate(factor: 1))])
        #expect(entries.first { $0.kind == "stopped" }?.undo == [.restart(node: "n3")])
        let cut = try #require(entries.first { $0.kind == "cut" })
        #expect(cut.undo == [.mend(links: try LinkTarget(parsing: cut.target))], "undoing one cut mends only its links")
    }

    @Test func aOneWayCutAndPausedAndKilledNodesAreFaultsToo() {
        var s = mixedSnapshot()
        for i in s.nodes.indices { s.nodes[i].status?.faults.drop = [] }
        s.nodes[0].status?.faults = FaultSpec(drop: ["n2"], direction: .out)
        s.nodes[3].process = .paused
        s.nodes[2].exit = NodeExit(reason: "killed by the operator (SIGKILL)", byOperator: true)
        let summaries = FaultLedger.entries(s).map(\.summary)
        #expect(summaries.contains("one-way cut n1->n2"), "\(summaries)")
        #expect(summaries.contains("paused n4: SIGSTOP") && summaries.contains { $0.hasPrefix("killed n3") }, "\(summaries)")
        #expect(!summaries.contains { $0.contains("n2->n1") })
    }

    /// `d` on n2 (every link in and out of it) is one fault named n2; undoing another fault is
    /// not who set the ones still in force.
    @Test func aNodesLinksAreOneFaultAndAnUndoSetsNothing() {
        var s = mixedSnapshot()
        for i in s.nodes.indices { s.nodes[i].status?.faults.drop = [] }
        let delay = LinkFaultSpec(delayMs: 100, jitterMs: 20)
        for i in [0, 1, 3, 4] {
            let id = s.nodes[i].id
            s.nodes[i].status?.faults.links = id == "n2" ? ["n1": delay, "n3": delay, "n4": delay, "n5": delay] : ["n2": delay]
        }
        s.nodes[2].up = false
        // n3 is down: its rules are unknown, so n2's links are named one by one.
        let down = FaultLedger.entries(s).map(\.summary)
        #expect(down.contains("link n1<->n2: delay 100ms±20") && !down.contains("link n2: delay 100ms±20"), "\(down)")
        s.nodes[2].up = true
        s.nodes[2].process = nil
        s.nodes[2].status?.faults.links = ["n2": delay]
        s.nodes[1].status?.faults.links["n3"] = delay
        let set = ControlEvent(.action, "delay n2", at: t0.addingTimeInterval(-9),
                               action: OperatorAction(verb: "delay", target: "n2", by: "key d", startedAt: t0.addingTimeInterval(-9)))
        let undo = ControlEvent(.action, "delay n2<->n5 0", at: t0,
                                action: OperatorAction(verb: "delay", target: "n2<->n5", by: "key u", startedAt: t0,
                                                       command: .delay(links: .bothWays("n2", "n5"), delay: TimeSpan(milliseconds: 0), jitter: TimeSpan(milliseconds: 0))))
        let entries = FaultLedger.entries(s, events: [set, undo])
        #expect(entries.map(\.summary) == ["link n2: delay 100ms±20"], "\(entries.map(\.summary))")
        #expect(entries.first?.setBy == "key d")
        #expect(entries.first?.undo == [.delay(links: .node("n2"), delay: TimeSpan(milliseconds: 0), jitter: TimeSpan(milliseconds: 0))])
    }

    @Test func fOpensTheListJAndKMoveTheSelectionAndEscReturns() {
        var m = Self.attributedModel()
        let (action, why) = KeyMap().action(for: .char("F"), model: m)
        #expect(action == .showFaults && why == nil)
        m.overlay = .faults
        #expect(ViewKeys.handle(.char("j"), &m) && ViewKeys.handle(.down, &m))
        #expect(m.selectedFault == 2)
        #expect(ViewKeys.handle(.char("k"), &m) && m.selectedFault == 1)
        // u and h change the cluster: the app's, not the view's.
        #expect(!ViewKeys.handle(.char("u"), &m) && !ViewKeys.handle(.char("h"), &m))
        let lines = FaultList.lines(m, ascii: false)
        #expect(lines[1].hasPrefix("▶ ") && lines.filter { $0.hasPrefix("▶") }.count == 1, "\(lines)")
        #expect(ViewKeys.handle(.escape, &m) && m.overlay == nil)
    }

    @Test func theSelectionStaysOnAFaultAndInView() {
        var m = Self.attributedModel()
        m.overlay = .faults
        m.selectedFault = 99
        ConsoleView.clampOverlay(&m, width: 80, height: 12)
        let count = FaultLedger.entries(m.snapshot, events: m.events).count
        #expect(m.selectedFault == count - 1)
        let screen = ConsoleView.render(m, width: 80, height: 12).lines.joined(separator: "\n")
        #expect(screen.contains("▶ clock"), "\(screen)")
    }

    @Test func statusPrintsTheCutLinksWithTheOtherFaults() {
        let notes = faultySnapshot().notes()
        #expect(notes.first == "cut: n1<->n5 n2<->n5 n4<->n5", "\(notes)")
        #expect(notes.contains { $0.hasPrefix("n2 faults: fsync +50ms") }, "\(notes)")
    }

    @Test(arguments: [(80, 24), (99, 30)])
    func theNarrowLayoutSaysWhoIsCutWhenTheMatrixDoesNotShow(_ size: (Int, Int)) {
        let screen = GoldenScreenTests.render(width: size.0, height: size.1, GoldenScreenTests.busyModel())
        #expect(screen.contains("✂ cut: n1<->n5 n2<->n5 n4<->n5"), "\(screen)")
        let wide = GoldenScreenTests.render(width: 160, height: 45, GoldenScreenTests.busyModel())
        #expect(!wide.contains("cut: n1<->n5"), "the matrix shows it at 160 columns")
    }

    @Test(arguments: [(80, 24), (160, 45)])
    func theFaultListMatchesItsGolden(_ size: (Int, Int)) throws {
        var m = Self.attributedModel()
        m.overlay = .faults
        m.selectedFault = 3
        try GoldenScreenTests().matchGolden("fault-list", m, size)
    }
}
