import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// A node whose disk fills up, on a small tmpfs the test mounts for its data directory: it
/// refuses writes with a `storage` error naming the problem, goes on answering status and
/// reads, shows the problem in `flotilla status`, and resumes by itself once space returns.
/// The cluster elects around it meanwhile, and nothing acknowledged is lost.
@Suite("A full disk", .serialized)
struct FullDiskTests {
    /// Whether this process may mount a file system (root, or CAP_SYS_ADMIN); CI containers often may not.
    static let canMount: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-mount-probe-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard (try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)) != nil,
              (try? spawnAndWait(["/bin/mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe])) == 0 else { return false }
        _ = try? spawnAndWait(["/bin/umount", probe])
        return true
    }()

    /// Fills the file system holding `dir` with one file, until it takes no more.
    func fill(_ dir: String) throws -> String {
        let path = "\(dir)/filler"
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw OrchestratorError("cannot create \(path)") }
        let fd = open(path, O_WRONLY | O_APPEND)
        guard fd >= 0 else { throw OrchestratorError("cannot open \(path)") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x5a, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        return path
    }

    func submit(_ c: LocalCluster, _ address: String, _ key: String) async throws -> SubmitResult {
        try await c.client.call("POST", address, "/v1/tasks", body: TaskSubmission(kind: "echo", key: key), timeout: .seconds(20))
    }

    @Test(.enabled(if: FullDiskTests.canMount, "mounting a tmpfs is not allowed here (needs root or CAP_SYS_ADMIN)"),
          .timeLimit(.minutes(5)))
    func aLeaderWhoseDiskFillsRefusesWritesKeepsServingAndResumes() async throws {
        var mounted: String?
        defer {
            // The teardown could not remove a mount point; once unmounted, the rest goes.
            if let mounted {
                _ = try? spawnAndWait(["/bin/umount", "-l", mounted])
                try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: mounted).deletingLastPathComponent().deletingLastPathComponent().path)
            }
        }
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0"], prepare: { spec in
            let data = spec.nodes[0].dataDir
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            guard try spawnAndWait(["/bin/mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", data]) == 0 else {
                throw OrchestratorError("cannot mount a tmpfs at \(data)")
            }
            mounted = data
        }) { c in
            let watch = InvariantWatch(c)
            let full = c.node("n1")
            if try await c.waitForLeader().id != "n1" { try await c.control.transfer(to: "n1") }
            var acknowledged: [String: String] = [:]
            for i in 0..<20 {
                let r = try await submit(c, full.adminAddress, "before-\(i)")
                acknowledged["before-\(i)"] = r.id
            }

            let filler = try fill(full.dataDir)
            // A write that needs a new page of the full file system fails (smaller ones still fit
            // the pages the log holds): n1 holds that batch and stops taking writes.
            let held = Task {
                for i in 0..<1_000 {
                    guard !Task.isCancelled, (try? await submit(c, full.adminAddress, "held-\(i)")) != nil else { return }
                }
            }
            let stalled = try await c.waitFor("n1 to report its full disk") { $0.node("n1")?.live?.storageError != nil }
            let problem = try #require(stalled.node("n1")?.live?.storageError)
            #expect(problem.contains("No space left on device"), "\(problem)")
            // Straight to n1, without following a redirect: it still thinks it leads, and refuses.
            let refused = try await rawRequest("POST", "http://\(full.adminAddress)/v1/tasks",
                                               body: try JSONEncoder().encode(TaskSubmission(kind: "echo", key: "refused")), token: c.token)
            let error = try JSONDecoder().decode(APIError.self, from: refused.body)
            #expect(refused.status == 507 && error.code == .storage, "\(refused.status) \(error)")
            #expect(error.error.contains("No space left on device"), "\(error)")
            // Reads and status go on.
            let read: TaskView = try await c.client.call("GET", full.adminAddress, "/v1/tasks/\(acknowledged["before-0"]!)")
            #expect(read.key == "before-0")
            let status = try await flotilla(["status", "--dir", c.launcher.directory])
            #expect(status.code == 0 && status.out.contains("storage-error"), "\(status)")
            #expect(status.out.contains("n1 storage: ") && status.out.contains("No space left on device"), "\(status)")

            // The others, no longer hearing from n1, elect a leader and take writes.
            // (n1 cannot even store the news of the new term: it reports its old one, and its disk.)
            let v = try await c.waitFor("n2 and n3 to elect a leader", timeout: .seconds(30)) { v in
                guard let l = v.leader, l.id != "n1" else { return false }
                return ["n2", "n3"].allSatisfy { v.node($0)?.live?.leader == l.id }
            }
            let other = try #require(v.leader)
            for i in 0..<20 {
                let r = try await submit(c, other.adminAddress, "during-\(i)")
                acknowledged["during-\(i)"] = r.id
            }

            // Space returns: n1 resumes by itself and catches up. The held submits stop first, so
            // the two task tables compared below are not read while writes still land between them.
            try FileManager.default.removeItem(atPath: filler)
            held.cancel()
            _ = await held.value
            let back = try await c.waitFor("n1 to take writes again and catch up", timeout: .seconds(60)) { v in
                guard let n1 = v.node("n1")?.live, let l = v.leader else { return false }
                return n1.storageError == nil && n1.applied >= l.commit && n1.tasks.byState == l.tasks.byState
            }
            #expect(back.node("n1")?.live?.storageError == nil)
            let log = try String(contentsOfFile: full.logFile, encoding: .utf8)
            #expect(log.contains("storage takes writes again"), "n1 says it recovered")
            try await watch.verdict(acknowledged: acknowledged)
        }
    }
}
