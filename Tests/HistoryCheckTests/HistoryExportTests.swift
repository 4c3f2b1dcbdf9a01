import Foundation
import HistoryCheck
import Testing

/// The Jepsen-style export: one JSON object per line, an invoke and a completion per operation.
@Suite("History export")
struct HistoryExportTests {
    static let awkwardKey = "we\"ird\nkey\\\u{01}"
    static let history = [
        add("a", by: 1, 10, 20),
        read(["a", "0"], by: 2, 15, 30),
        add(awkwardKey, by: 3, 5, nil, .unknown),
        add("f", by: 1, 25, 40, .fail),
        read([], by: 2, 35, 36, .fail),
    ]

    static func objects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    @Test func everyOperationHasAnInvokeAndACompletionInTimeOrder() throws {
        let text = HistoryExport.jsonLines(Self.history)
        #expect(text.hasSuffix("}\n"))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2 * Self.history.count)
        #expect(lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") })

        let objects = try Self.objects(text)
        #expect(objects.map { $0["index"] as? Int } == Array(0..<objects.count))
        let types = objects.map { $0["type"] as? String ?? "?" }
        #expect(types.filter { $0 == "invoke" }.count == 5)
        #expect(types.filter { $0 == "ok" }.count == 2 && types.filter { $0 == "fail" }.count == 2)
        #expect(types.last == "info", "an operation that never returned ends the history")
        let times = objects.map { $0["time"] as? Int ?? -1 }
        #expect(times == times.sorted() && times.first == 5 && times.last == 40)
    }

    @Test func valuesFollowJepsensSetShape() throws {
        let objects = try Self.objects(HistoryExport.jsonLines(Self.history))
        let reads = objects.filter { $0["f"] as? String == "read" }
        #expect(reads.count == 4)
        #expect(reads.filter { $0["type"] as? String != "ok" }.allSatisfy { $0["value"] is NSNull })
        #expect(reads.compactMap { $0["value"] as? [String] } == [["0", "a"]], "an ok read's keys, sorted")
        let adds = objects.filter { $0["f"] as? String == "add" }
        #expect(adds.compactMap { $0["value"] as? String }.filter { $0 == Self.awkwardKey }.count == 2,
                "a key with quotes, a newline, a backslash and a control character survives the round trip")
        #expect(objects.map { $0["process"] as? Int }.allSatisfy { [1, 2, 3].contains($0) })
    }

    @Test func aClientGoesOnUnderAFreshProcessWhileAnOperationIsOutstanding() throws {
        let history = [add("x", by: 1, 0, nil, .unknown), add("y", by: 1, 10, 20), add("z", by: 0, 30, 40), add("w", by: 1, 50, 60)]
        let objects = try Self.objects(HistoryExport.jsonLines(history))
        let processOf = { (key: String) in Set(objects.filter { $0["value"] as? String == key }.compactMap { $0["process"] as? Int }) }
        #expect(processOf("x") == [1])
        #expect(processOf("y") == [3], "client 1's first process is busy, and will have crashed")
        #expect(processOf("z") == [0])
        #expect(processOf("w") == [3], "a process that completed is free again")
    }
}
