import Foundation
import Testing
@testable import Orchestrator

/// `load` says what it sends and what came of it, writes and reads apart.
@Suite("Load: writes and reads counted apart")
struct LoadCountTests {
    func op(_ key: String, _ outcome: LoadGenerator.Operation.Outcome, read: Bool = false) -> LoadGenerator.Operation {
        LoadGenerator.Operation(key: key, invokedAt: Date(), returnedAt: Date(), outcome: outcome, seen: read && outcome == .ok ? [] : nil)
    }

    @Test func aRateOfOperationsSaysItsReadShareAndItsWriteRate() {
        #expect(LoadPlan(rate: 50, kind: "echo", readEvery: 4).rateText
            == "50 ops/s: 37.5 writes/s of echo + 12.5 reads/s (every 4th op a linearizable read)")
        #expect(LoadPlan(rate: 20, kind: "sleep", readEvery: 2).rateText == "20 ops/s: 10 writes/s of sleep + 10 reads/s (every 2nd op a linearizable read)")
        #expect(LoadPlan(rate: 20, kind: "echo").rateText == "20 ops/s: 20 writes/s of echo, no reads")
        #expect(LoadPlan(rate: 20, kind: "echo", readEvery: 3).writeRate + LoadPlan(rate: 20, kind: "echo", readEvery: 3).readRate == 20)
    }

    @Test func theSummaryCountsWritesAndReadsEachSentAckedFailed() {
        let history = [op("load-a-1", .ok), op("load-a-2", .ok), op("load-a-3", .fail), op("read-a-4", .ok, read: true),
                       op("load-a-5", .unknown), op("read-a-8", .fail, read: true), op("read-a-12", .unknown, read: true)]
        let s = LoadGenerator.Summary(history: history, sentWrites: 9, sentReads: 3, seconds: 2)
        #expect((s.ok, s.failed, s.unknown) == (2, 1, 1))
        #expect((s.readsOK, s.readsFailed, s.readsUnknown) == (1, 1, 1))
        #expect(s.lines == ["writes 9 sent (4.5/s): 2 acked, 1 refused, 1 unknown", "reads  3 sent (1.5/s): 1 ok, 1 failed, 1 partial"])
        #expect(s.progressLine == "load 2s: writes 9 sent (4.5/s), 2 acked, 2 failed · reads 3 sent (1.5/s), 1 ok, 2 failed")
        #expect(s.outcomeText == "writes 2 acked, 1 refused, 1 unknown; reads 1 ok, 1 failed, 1 partial")
    }
}
