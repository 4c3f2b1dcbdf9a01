import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

/// Enter on a node row describes it: vote, indexes, the leader's view of its replication, its
/// faults, why it ended, and its log following live; Esc returns.
@Suite("Describing a node")
struct DescribeNodeTests {
    static func described(_ id: String, log: Int = 3) -> ConsoleModel {
        var m = FaultListTests.attributedModel()
        m.selected = m.snapshot.nodes.firstIndex { $0.id == id }!
        #expect(ViewKeys.handle(.enter, &m))
        m.nodeLog = (1...log).map { "2027-01-15T08:00:0\($0 % 10)Z info raft: line \($0)" }
        return m
    }

    @Test func enterOnANodeRowDescribesItAndEscReturns() {
        var m = Self.described("n2")
        #expect(m.overlay == .node("n2") && m.overlayFollows)
        let lines = NodeDescription.lines("n2", m)
        #expect(lines.contains("vote      none in term 7"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("indexes   last 120 · commit 120 · applied 120 · snapshot 0") })
        let peerRow = lines.first { $0.hasPrefix("  n2  ") } ?? ""
        #expect(peerRow.contains("120") && peerRow.contains("121") && peerRow.contains("replicate") && peerRow.contains("healthy"), "\(lines)")
        #expect(lines.contains { $0.contains("(as n1, the leader in term 7, last heard it)") })
        #expect(lines.contains { $0.hasPrefix("  link n1->n2: delay 100ms±20 loss 10%") } && lines.contains { $0.hasPrefix("  disk n2: slow 50ms") })
        #expect(lines.contains { $0.hasSuffix("raft: line 3") })
        #expect(ViewKeys.handle(.escape, &m) && m.overlay == nil)
    }

    @Test func theLeaderIsDescribedWithEveryPeerAndADeadNodeWithWhyItDied() {
        var m = Self.described("n1")
        let leader = NodeDescription.lines("n1", m)
        for peer in ["n2", "n3", "n4", "n5"] { #expect(leader.contains { $0.hasPrefix("  \(peer)  ") }, "\(peer) in \(leader)") }
        m.snapshot.nodes[2].exit = NodeExit(reason: "storage failed: fsync failed: Input/output error (errno 5)", byOperator: false)
        let dead = NodeDescription.lines("n3", m)
        #expect(dead.contains("  died: storage failed: fsync failed: Input/output error (errno 5)"), "\(dead)")
        #expect(dead.contains { $0.hasPrefix("address   127.0.0.1:813 (last answered 4.0s ago)") })
    }

    @Test func theLogFollowsUntilTheOperatorScrollsBackAndGFollowsAgain() {
        var m = Self.described("n2", log: 60)
        ConsoleView.clampOverlay(&m, width: 80, height: 24)
        let end = m.overlayScroll
        #expect(end > 0)
        m.nodeLog += (61...70).map { "line \($0)" }
        ConsoleView.clampOverlay(&m, width: 80, height: 24)
        #expect(m.overlayScroll == end + 10, "follows the new lines")
        #expect(ViewKeys.handle(.pageUp, &m) && !m.overlayFollows)
        let back = m.overlayScroll
        m.nodeLog += ["line 71"]
        ConsoleView.clampOverlay(&m, width: 80, height: 24)
        #expect(m.overlayScroll == back, "stays where the operator scrolled")
        #expect(ViewKeys.handle(.char("G"), &m) && m.overlayFollows)
        ConsoleView.clampOverlay(&m, width: 80, height: 24)
        #expect(m.overlayScroll == end + 11)
    }

    @Test func theTailOfALogFileIsItsLastWholeLines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("logtail-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = (1...5000).map { "line \($0) " + String(repeating: "x", count: 40) }.joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let tail = LogTail.lines(of: path, max: 200)
        #expect(tail.count == 200 && tail.last?.hasPrefix("line 5000 ") == true && tail.first?.hasPrefix("line 4801 ") == true)
        #expect(LogTail.lines(of: path + ".missing", max: 10) == ["(no log at \(path).missing)"])
    }

    @Test(arguments: [(80, 24), (160, 45)])
    func aDescribedNodeMatchesItsGolden(_ size: (Int, Int)) throws {
        var m = Self.described("n2", log: 30)
        m.overlayFollows = false
        m.overlayScroll = 0
        try GoldenScreenTests().matchGolden("describe", m, size)
    }
}
