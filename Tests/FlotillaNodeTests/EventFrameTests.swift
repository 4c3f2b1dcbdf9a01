import FlotillaAPI
import Foundation
import NIOCore
import Testing
@testable import FlotillaNode

/// An event's server-sent-event frame is written by hand (every applied submit records one,
/// on the Raft loop); its JSON must decode to the event, as `JSONEncoder`'s did, whatever the
/// strings hold.
@Suite("Event frames")
struct EventFrameTests {
    static let awkward = [
        "", "plain", "t-17 submitted (key a-9x)", "quote \" and backslash \\ and slash /", "line\nbreak\r\ttab",
        "\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}", "ünïcödé ✓ 🚀 \u{2028}\u{2029}", String(repeating: "\\\"", count: 40),
    ]

    @Test func framesDecodeToTheirEvents() throws {
        var seq: UInt64 = 0
        for message in Self.awkward {
            for node in ["n1", Self.awkward[3], Self.awkward[5]] {
                seq += 1
                let e = NodeEvent(seq: seq, atMs: seq * 7, node: node, kind: "task", term: .max - seq, message: message)
                let text = String(buffer: e.frame)
                #expect(text.hasPrefix("id: \(seq)\nevent: task\ndata: ") && text.hasSuffix("\n\n"))
                let lines = text.dropLast(2).split(separator: "\n", omittingEmptySubsequences: false)
                #expect(lines.count == 3, "the data is one line: \(text.debugDescription)")
                let data = Data(lines[2].dropFirst("data: ".count).utf8)
                #expect(try JSONDecoder().decode(NodeEvent.self, from: data) == e, "\(text.debugDescription)")
                // What JSONEncoder wrote decodes to the same event.
                #expect(try JSONDecoder().decode(NodeEvent.self, from: JSONEncoder().encode(e)) == e)
            }
        }
    }

    @Test func theLogServesTheFrames() async {
        let log = EventLog(node: "n\"1", capacity: 10)
        log.record("role", term: 3, "n1 became \"leader\"\n")
        guard case let .frames(frames, through) = await log.read(after: 0, maxLag: 10) else {
            Issue.record("one event to read")
            return
        }
        #expect(through == 1)
        #expect(frames == log.recentEvents().first?.frame)
    }
}
