import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Retention on real node processes: finished tasks leave every node's table after the
/// retention time, and a retry inside the key window still answers with the first task.
@Suite("Retention", .serialized)
struct RetentionScenarioTests {
    @Test func finishedTasksAreRemovedEverywhereAndARetryInsideTheKeyWindowIsStillADuplicate() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "2", "--retain", "1s", "--key-window", "10m"]) { c in
            let leader = try await c.waitForLeader()
            var ids: [String: String] = [:]
            for i in 0..<20 {
                let r: SubmitResult = try await c.client.call("POST", leader.adminAddress, "/v1/tasks",
                                                              body: TaskSubmission(kind: "echo", args: ["text": "r"], key: "ret-\(i)"))
                ids["ret-\(i)"] = r.id
            }
            // Every node ran the tasks, then removed them a second after they finished.
            try await c.waitFor("every node to remove the 20 finished tasks", timeout: .seconds(30)) { v in
                v.live.count == 3 && v.live.allSatisfy { $0.tasks.removed == 20 && $0.tasks.byState.values.reduce(0, +) == 0 }
            }
            let list: TaskList = try await c.client.call("GET", leader.adminAddress, "/v1/tasks")
            #expect(list.tasks.isEmpty && list.total == 0 && list.removed == 20)
            let retry: SubmitResult = try await c.client.call("POST", leader.adminAddress, "/v1/tasks",
                                                              body: TaskSubmission(kind: "echo", args: ["text": "r"], key: "ret-7"))
            #expect(retry == SubmitResult(id: ids["ret-7"]!, duplicate: true, removed: true))
            let gone = try await rawRequest("GET", "http://\(leader.adminAddress)/v1/tasks/\(ids["ret-7"]!)", token: c.token)
            #expect(gone.status == 404)
            #expect(try JSONDecoder().decode(APIError.self, from: gone.body).error.contains("retention"))
            // The load's check finds every acknowledged write through the remembered keys.
            let run = MonitorRun(control: c.control)
            try await run.checkTasks(acknowledged: ids)
            let clean = await run.violations
            #expect(clean.isEmpty, "\(clean)")
            try await run.checkTasks(acknowledged: ids.merging(["never-made": "t-99"]) { a, _ in a })
            let found = await run.violations
            #expect(found.count == 1, "a write that is neither held nor remembered is lost: \(found)")
        }
    }

    /// Admission on a real node: at --max-unfinished the leader answers a new key 429
    /// queue-full, appends nothing, and still answers a retry of a known key.
    @Test func aFullQueueRefusesNewKeysWith429AndStillAnswersRetries() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "0", "--max-unfinished", "3"]) { c in
            let leader = try await c.waitForLeader()
            func submit(_ key: String) async throws -> (status: Int, headers: [String: String], body: Data) {
                let body = try JSONEncoder().encode(TaskSubmission(kind: "echo", args: ["text": "q"], key: key))
                return try await rawRequest("POST", "http://\(leader.adminAddress)/v1/tasks", body: body, token: c.token)
            }
            for i in 0..<3 { #expect(try await submit("full-\(i)").status == 201) }
            let refused = try await submit("full-3")
            #expect(refused.status == 429)
            let error = try JSONDecoder().decode(APIError.self, from: refused.body)
            #expect(error.code == .queueFull && error.error.contains("--max-unfinished"), "\(error)")
            #expect(try await submit("full-1").status == 200, "a retry of a known key is answered, not refused")
            let list: TaskList = try await c.client.call("GET", leader.adminAddress, "/v1/tasks")
            #expect(list.total == 3, "the refused submit made no task")
        }
    }

    /// `flotilla bench soak` on a 3-node cluster: a line per sample, and the summary's form, with
    /// lost and duplicated counted from the writes it made while retention removed their tasks.
    @Test func benchSoakPrintsSamplesAndItsSummaryLine() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("soak-\(UUID().uuidString.prefix(8)).txt").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let status = try await withClusterSlot {
            try await offThePool {
                try spawnAndWait([LocalCluster.executable, "bench", "soak", "--rate", "40", "--duration", "5s", "--sample", "1s",
                                  "--", "--retain-count", "10"], stdout: out)
            }
        }
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(status == 0, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("soak t=") && $0.contains("rss_mb n1=") }.count >= 3, "\(text)")
        let last = try #require(lines.last)
        let form = /^bench soak: acked=(\d+) lost=(\d+) unverified=(\d+) duplicated=(\d+) elections=(\d+) rss_start_mb=(\d+) rss_end_mb=(\d+) snapshot_hold_max_ms=([0-9.]+) snapshot_hold_cpu_ms=([0-9.]+) snapshot_hold_preempted=\d+ snapshot_hold_blocked=\d+ write_p999_ms=([0-9.]+) write_max_ms=([0-9.]+)$/
        let m = try #require(last.wholeMatch(of: form), "\(last)")
        #expect(Int(m.1)! > 100, "some 200 writes in 5 s at 40/s")
        #expect(m.2 == "0" && m.3 == "0" && m.4 == "0", "nothing lost, every key read before it was forgotten, nothing twice")
        #expect(Int(m.6)! > 0 && Int(m.7)! > 0)
        #expect(Double(m.9)! <= Double(m.8)! + 0.01, "a hold's CPU time is within its wall time: \(last)")
        let removed = lines.last { $0.hasPrefix("soak t=") }.flatMap { $0.firstMatch(of: /removed=(\d+)/) }.map { Int($0.1)! } ?? 0
        #expect(removed > 0, "retention removed tasks during the run: \(text)")
    }
}
