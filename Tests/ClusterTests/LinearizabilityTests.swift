import FlotillaAPI
import Foundation
import HistoryCheck
import Testing
import TestSupport
@testable import Orchestrator

/// Reads that claim to be linearizable are, and the history checker proves it both ways: it
/// passes an honest cluster's history and catches a planted stale-read bug.
@Suite("Linearizable reads and the history checker", .serialized)
struct LinearizabilityTests {
    /// Isolates the leader, writes a key through the new leader, then reads from the old one
    /// with `consistency=linearizable`. Returns the history of that write and that read, with
    /// the read's status code.
    func staleReadScenario(_ c: LocalCluster) async throws -> (history: HistoryReport, readStatus: Int) {
        let old = try await c.waitForLeader()
        _ = try await c.control.isolate(old.id)
        let view = try await c.waitFor("a new leader beside the isolated \(old.id)") { v in
            v.live.contains { $0.role == .leader && $0.id != old.id && $0.term > old.term }
        }
        let new = view.live.first { $0.role == .leader && $0.id != old.id && $0.term > old.term }!
        let origin = Date()
        func since(_ d: Date) -> Double { d.timeIntervalSince(origin) }
        let key = "load-test-1"
        let called = Date()
        let submitted: SubmitResult = try await c.client.call("POST", new.adminAddress, "/v1/tasks",
                                                              body: TaskSubmission(kind: "echo", args: ["text": "x"], key: key))
        let write = OperationLine(t: since(called), returnedT: since(Date()), key: key, outcome: "ok", task: submitted.id)
        let readCalled = Date()
        let (status, _, body) = try await rawRequest("GET", "http://\(old.adminAddress)/v1/tasks?consistency=linearizable", token: c.token)
        var read = OperationLine(t: since(readCalled), returnedT: since(Date()), key: "read-test-2", outcome: "fail")
        if status == 200 {
            let list = try JSONDecoder().decode(TaskList.self, from: body)
            read.outcome = "ok"
            read.seen = list.tasks.map(\.key).filter { $0.hasPrefix("load-test-") }
        }
        _ = await c.control.heal()
        return (HistoryReport(operations: [write, read]), status)
    }

    @Test func aPlantedStaleReadIsCaughtAndDrawn() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0", "--planted-bug", "stale-reads"]) { c in
            let (report, status) = try await staleReadScenario(c)
            #expect(status == 200, "the planted bug answers from the deposed leader's own state")
            guard case .notLinearizable(let window) = report.verdict else {
                Issue.record("the stale read was not caught: \(report.summary)")
                return
            }
            #expect(window.partition == "load-test-1")
            #expect(report.summary.contains("VIOLATED"))
            let drawn = report.timeline(width: 80)
            #expect(drawn.contains { $0.contains("✕") }, "\(drawn.joined(separator: "\n"))")
            #expect(drawn.allSatisfy { $0.count <= 80 })
        }
    }

    @Test func anHonestDeposedLeaderRefusesTheReadAndTheHistoryPasses() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0", "--proposal-timeout-ms", "1500"]) { c in
            let (report, status) = try await staleReadScenario(c)
            #expect(status != 200, "a leader cut off from its quorum cannot confirm a read")
            #expect(report.verdict == .linearizable, "\(report.summary)")
        }
    }

    @Test func aLoadWithReadsOnAHealthyClusterIsLinearizable() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "2"]) { c in
            _ = try await c.waitForLeader()
            let file = c.launcher.directory + "/load.jsonl"
            let run = try await flotilla(["load", "--dir", c.launcher.directory, "--rate", "40", "--duration", "2s", "--read-every", "2",
                                          "--record", file])
            #expect(run.code == 0, "\(run)")
            #expect(run.out.contains("linearizability: ok"), "\(run.out)")
            // What it sends, and what came of it, writes and reads apart.
            #expect(run.err.contains("load on: 40 ops/s: 20 writes/s of echo + 20 reads/s (every 2nd op a linearizable read)"), "\(run.err)")
            #expect(run.out.contains("load: writes ") && run.out.contains("load: reads  ") && run.out.contains(" acked,"), "\(run.out)")
            let transcript = try Transcript.read(file)
            let reads = transcript.operations.filter { $0.seen != nil }
            #expect(reads.count >= 10, "reads recorded: \(reads.count)")
            #expect(reads.contains { !($0.seen ?? []).isEmpty }, "reads see the load's keys")
            let checked = try await flotilla(["history", file, "--export", c.launcher.directory + "/history.jsonl"])
            #expect(checked.code == 0 && checked.out.contains("linearizability: ok"), "\(checked)")
            let exported = try String(contentsOfFile: c.launcher.directory + "/history.jsonl", encoding: .utf8)
            #expect(exported.contains(#""f":"read""#) && exported.contains(#""type":"invoke""#))
        }
    }

    /// On a table retention trims (and one larger than a page), each read sees the newest
    /// tasks down to the first one missing, and is checked for what it vouches for: reads are
    /// not given up as partial once retention removed anything.
    @Test func readsOfATableRetentionTrimsAreCheckedNotGivenUp() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "2", "--retain", "1s", "--retain-count", "20"]) { c in
            let leader = try await c.waitForLeader()
            let dir = c.launcher.directory, file = dir + "/trimmed.jsonl"
            let run = try await flotilla(["load", "--dir", dir, "--rate", "40", "--duration", "5s", "--read-every", "2",
                                          "--record", file, "-o", "json"])
            #expect(run.code == 0, "\(run)")
            let report = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any]
            let reads = try #require(report?["reads"] as? [String: Any], "\(run.out)")
            #expect((reads["ok"] as? Int ?? 0) >= 20 && reads["partial"] as? Int == 0, "\(reads)")
            #expect(report?["linearizable"] as? String == "ok", "\(run.out)")
            let list: TaskList = try await c.client.call("GET", leader.adminAddress, "/v1/tasks")
            #expect((list.removed ?? 0) > 0, "retention removed tasks during the load")
            // The later reads saw only the newest tasks, and said from where.
            let scoped = try Transcript.read(file).operations.compactMap(\.from)
            #expect(scoped.contains { $0 > 1 }, "reads scoped past removed tasks: \(scoped.suffix(5))")
        }
    }
}
