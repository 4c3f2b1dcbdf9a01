import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

/// A frame does not mix moments into claims: one leader, no lag 0 that is only a sample's
/// timing, the same columns at one width, and the leader and the selection in view at 60x12.
@Suite("Honest frames")
struct HonestFrameTests {
    static func rows(_ m: ConsoleModel, width: Int = 160, height: Int = 45) -> [String] {
        GoldenScreenTests.render(width: width, height: height, m).split(separator: "\n").map(String.init)
    }

    @Test func aMemberThatStillBelievesItLeadsAnOlderTermIsMarkedStale() {
        var s = mixedSnapshot()
        // n5, cut off, still leads term 6; n1 leads term 7.
        s.nodes[4].status = nodeStatus("n5", role: .leader, term: 6, leader: "n5", commit: 100, ids: s.nodes.map(\.id), voters: 3)
        let lines = Self.rows(model(s))
        #expect(lines.filter { $0.contains("★ LEADER") }.count == 1, "\(lines)")
        let n5 = lines.first { $0.contains("│ n5 ") || $0.contains("│▶n5 ") || $0.hasPrefix("│ n5") } ?? ""
        #expect(n5.contains("stale ldr") && !n5.contains("healthy"), "\(n5)")
        #expect(s.row(s.nodes[4])[7] != "-", "its lag is shown against the real leader")
    }

    @Test func aFollowerCommitAboveTheLeadersPolledOneIsASampleArtefactNotLagZero() {
        var s = mixedSnapshot()
        s.nodes[1].status?.commit = 125
        s.nodes[1].status?.applied = 125
        #expect(s.row(s.nodes[1])[7] == "newer")
        #expect(s.row(s.nodes[3])[7] == "60", "a real lag stays a number")
    }

    @Test(arguments: [80, 100, 160])
    func theColumnsAtOneWidthDoNotChangeWithTheData(_ width: Int) {
        func header(_ s: ClusterSnapshot) -> String {
            Self.rows(model(s), width: width, height: 30).first { $0.contains(" ID ") } ?? ""
        }
        func columns(_ line: String) -> [String] { line.split(separator: " ").map(String.init).filter { $0.allSatisfy(\.isUppercase) } }
        let small = mixedSnapshot()
        var big = mixedSnapshot()
        for i in big.nodes.indices {
            big.nodes[i].status?.commit = 12_345_678
            big.nodes[i].status?.applied = 12_345_600
            big.nodes[i].status?.term = 123
            big.nodes[i].status?.uptimeMs = 90_000_000
        }
        #expect(columns(header(small)) == columns(header(big)), "\(header(small))\n\(header(big))")
    }

    @Test(arguments: [0, 1, 2, 3, 4])
    func atTheSmallestSizeTheLeadersRowAndTheSelectionStayInView(_ selected: Int) {
        var m = model(mixedSnapshot())
        m.selected = selected
        let lines = Self.rows(m, width: 60, height: 12)
        #expect(lines.contains { $0.contains("★ LEADER") }, "\(lines.joined(separator: "\n"))")
        let id = m.snapshot.nodes[selected].id
        #expect(lines.contains { $0.contains("▶\(id) ") }, "\(id) selected and shown:\n\(lines.joined(separator: "\n"))")
    }

    @Test func theShownRowsKeepBothOrPinTheLeader() {
        #expect(ConsoleView.shownNodeRows(count: 5, room: 5, selected: 4, leader: 0) == [0, 1, 2, 3, 4])
        #expect(ConsoleView.shownNodeRows(count: 5, room: 3, selected: 2, leader: 0) == [0, 1, 2])
        #expect(ConsoleView.shownNodeRows(count: 5, room: 2, selected: 4, leader: 0) == [0, 4])
        #expect(ConsoleView.shownNodeRows(count: 5, room: 3, selected: 4, leader: 0) == [0, 3, 4])
        #expect(ConsoleView.shownNodeRows(count: 5, room: 2, selected: 3, leader: nil) == [3, 4])
    }
}
