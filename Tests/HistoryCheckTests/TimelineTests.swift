import HistoryCheck
import Testing

/// The terminal timeline: always within its width, a lane per client, the failing operation marked.
@Suite("Timeline")
struct TimelineTests {
    static let history = [
        add("k17", by: 1, 0, 1_000_000), add("k18", by: 3, 200_000, nil, .unknown), read(["k18"], by: 2, 2_000_000, 3_000_000),
        add("k19", by: 1, 1_500_000, 1_600_000), read(["k17"], by: 3, 2_500_000, 2_500_000),
    ]
    static let marks: [(time: Int64, label: String)] = [(1_200_000, "partition n1|n2,n3"), (2_600_000, "leader n2")]

    @Test(arguments: [40, 80, 160])
    func linesFitTheWidthAndEveryClientHasALane(_ width: Int) throws {
        let window = try #require(check(Self.history).window)
        let lines = Timeline.render(window, marks: Self.marks, width: width)
        #expect(lines.allSatisfy { $0.count <= width }, "\(lines.joined(separator: "\n"))")
        for client in Set(window.operations.map(\.client)) {
            #expect(lines.contains { $0.hasPrefix("c\(client) ") }, "a lane for client \(client)")
        }
        #expect(lines.contains { $0.hasPrefix("marks ") && $0.contains("▲") })

        let all = Timeline.render(Self.history, marks: Self.marks, width: width)
        #expect(all.allSatisfy { $0.count <= width })
        #expect(Set([1, 2, 3]).allSatisfy { c in all.contains { $0.hasPrefix("c\(c) ") } })
        #expect(all.contains { $0.contains("…") }, "the add that never returned runs off the edge")
    }

    @Test func theFailingOperationIsDrawnApart() throws {
        let window = try #require(check(Self.history).window)
        #expect(window.partition == "k17")
        let lines = Timeline.render(window, marks: Self.marks, width: 80)
        let marked = lines.filter { $0.contains("✕") }
        #expect(marked.count == 1)
        #expect(marked.first?.hasPrefix("c\(window.failingOperation.client) ") == true)
        #expect(lines.filter { $0.contains("━") || $0.contains("┃") }.count == 1)
        #expect(lines.contains { $0.contains("read -k17") }, "the read that missed the key says so")
        #expect(lines.contains { $0.contains("add k17") })
        let plain = Timeline.render(window.operations, width: 80)
        #expect(!plain.contains { $0.contains("✕") || $0.contains("━") }, "nothing is marked unless asked")
    }

    @Test func degenerateWindowsStillDraw() {
        let instant = [add("a", 5, 5)]
        let neverReturned = [add("a", 5, nil, .unknown)]
        for (ops, width) in [(instant, 40), (neverReturned, 40), ([], 40), (Self.history, 3), (instant, 1)] {
            let lines = Timeline.render(ops, highlighting: ops.isEmpty ? nil : 0, marks: [(5, "m")], width: width)
            #expect(lines.count >= 2 && lines.allSatisfy { $0.count <= width })
        }
        let single = Timeline.render(neverReturned, width: 40)
        #expect(single.contains { $0.hasPrefix("c1 ") && $0.contains("…") })
    }

    @Test func theAxisShowsTheWindowsLength() {
        let lines = Timeline.render([add("a", 1_000, 3_501_000)], width: 60)
        #expect(lines[0].hasSuffix("+3.5ms"))
        #expect(lines[1].contains("├") && lines[1].hasSuffix("┤"))
    }
}
