import FlotillaAPI
import Foundation
import HistoryCheck
import Testing
@testable import Orchestrator

/// The load generator over a client in memory: what it counts as acknowledged, refused and
/// unknown follows the client's reading of its errors, and its history is judged by the same
/// checker whichever engine wrote it.
@Suite("A load through any engine's client")
struct LoadGeneratorTests {
    func load(_ client: MemoryLoadClient, attempts: Int = 3) -> LoadGenerator {
        LoadGenerator(client: client, rate: 100, maxAttempts: attempts, retryDelay: .milliseconds(1))
    }

    @Test func outcomesFollowWhatTheClientSaysOfItsErrors() async throws {
        let refusedThenOK = MemoryLoadClient(failures: ["refused", "refused"])
        let a = load(refusedThenOK)
        await a.submitOne("load-s-1")
        let tries = await refusedThenOK.attempts
        #expect(await a.history.map(\.outcome) == [.ok] && tries == 3)

        let alwaysRefused = MemoryLoadClient(failures: ["refused", "refused", "refused"])
        let b = load(alwaysRefused)
        await b.submitOne("load-s-1")
        #expect(await b.history.map(\.outcome) == [.fail], "every attempt refused before proposing: it cannot have committed")

        let lostAnswer = MemoryLoadClient(failures: ["refused", "applied, answer lost", "refused"])
        let c = load(lostAnswer)
        await c.submitOne("load-s-1")
        #expect(await c.history.map(\.outcome) == [.unknown], "one attempt may have committed")
        #expect(await c.history.first?.error == "refused")

        let final = MemoryLoadClient(failures: ["final: bad request", "never reached"])
        let d = load(final)
        await d.submitOne("load-s-1")
        let finalTries = await final.attempts
        #expect(finalTries == 1, "a final refusal is not retried")
    }

    @Test func readsSeeTheLoadsOwnKeysAndAPartialAnswerIsUnknown() async throws {
        let client = MemoryLoadClient()
        let l = load(client)
        let session = await l.session
        for i in 1...3 { await l.submitOne("load-\(session)-\(i)") }
        await l.readOne("read-\(session)-4")
        let read = try #require(await l.history.last)
        #expect(read.outcome == .ok && read.seen == (1...3).map { "load-\(session)-\($0)" }.sorted())

        let history = ClientHistory.history(ClientHistory.lines(await l.history))
        #expect(ClientHistory.check(history, within: .seconds(5)) == .linearizable)
        let summary = await l.summary
        #expect(summary.ok == 3 && summary.readsOK == 1)
    }

    @Test func aReadThatMissesAnAcknowledgedKeyIsCaught() async throws {
        let client = MemoryLoadClient()
        let l = load(client)
        let session = await l.session
        await l.submitOne("load-\(session)-1")
        var ops = await l.history
        // A read after the acknowledged write that does not see it: a lost write.
        ops.append(LoadGenerator.Operation(key: "read-\(session)-2", invokedAt: Date().addingTimeInterval(1),
                                           returnedAt: Date().addingTimeInterval(1.1), outcome: .ok, seen: []))
        #expect(ClientHistory.check(ClientHistory.history(ClientHistory.lines(ops)), within: .seconds(5)) != .linearizable)
    }
}
