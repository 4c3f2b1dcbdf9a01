import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// A node that runs shell tasks for a month, next to neighbours that may take every descriptor:
/// its own descriptors come back after each task, and a task that cannot start fails alone.
@Suite("Shell task resources")
struct ShellTaskResourceTests {
    /// How many descriptors `pid` holds open.
    static func openDescriptors(of pid: pid_t) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count
    }

    /// The soft limit on open files of `pid`, from /proc/PID/limits.
    static func openFileLimit(of pid: pid_t) -> Int? {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("Max open files") }
        return line?.split(separator: " ").dropFirst(3).first.flatMap { Int($0) }
    }

    /// Waits until the task `id` has succeeded or failed, and returns it.
    static func finished(_ c: LocalCluster, _ leader: String, _ id: String) async throws -> TaskView {
        do {
            try await eventually("task \(id) to finish", timeout: .seconds(60)) {
                let t: TaskView? = try? await c.client.call("GET", leader, "/v1/tasks/\(id)")
                return t.map { [.succeeded, .failed].contains($0.state) } ?? false
            }
        } catch {
            Issue.record("the node's log:\n\(c.logs())")
            throw error
        }
        return try await c.client.call("GET", leader, "/v1/tasks/\(id)")
    }

    @Test func twoHundredShellTasksLeaveTheNodesDescriptorCountWhereItWas() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "4", "--allow-shell"]) { c in
            let leader = try await c.waitForLeader().adminAddress
            let pid = try #require(c.launcher.pid(of: c.node("n1")))
            // One task first, so the admin connection and everything made once are in the count.
            let first: SubmitResult = try await c.client.call("POST", leader, "/v1/tasks", body: TaskSubmission(kind: "shell", args: ["command": "echo warm"]))
            #expect(try await Self.finished(c, leader, first.id).state == .succeeded)
            let before = Self.openDescriptors(of: pid)
            var ids: [String] = []
            for i in 0..<200 {
                let r: SubmitResult = try await c.client.call("POST", leader, "/v1/tasks", body: TaskSubmission(
                    kind: "shell", args: ["command": "echo task \(i); echo to stderr >&2"]))
                ids.append(r.id)
            }
            try await eventually("200 shell tasks to finish", timeout: .seconds(180), poll: .milliseconds(200)) {
                let s = try await c.client.status(leader, timeout: .seconds(5))
                return (s.tasks.byState[.succeeded] ?? 0) + (s.tasks.byState[.failed] ?? 0) >= 201
            }
            let failed = try await c.client.status(leader).tasks.byState[.failed] ?? 0
            #expect(failed == 0)
            var after = Self.openDescriptors(of: pid)
            do {
                try await eventually("the node's descriptors to come back to \(before)", timeout: .seconds(30), poll: .milliseconds(100)) {
                    after = Self.openDescriptors(of: pid)
                    return after <= before
                }
            } catch {
                let links = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [])
                    .map { fd in "\(fd) -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) ?? "?") }
                Issue.record("\(before) descriptors before 200 tasks, \(after) after:\n\(links.joined(separator: "\n"))")
                throw error
            }
            print("shell-task descriptors: \(before) before 200 tasks, \(after) after")
        }
    }

    @Test func runningShellTasksAddNoThreadEach() async throws {
        let tasks = 24
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "\(tasks)", "--allow-shell"]) { c in
            let leader = try await c.waitForLeader().adminAddress
            let pid = try #require(c.launcher.pid(of: c.node("n1")))
            let first: SubmitResult = try await c.client.call("POST", leader, "/v1/tasks", body: TaskSubmission(kind: "shell", args: ["command": "echo warm"]))
            #expect(try await Self.finished(c, leader, first.id).state == .succeeded)
            let threads = { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).count }
            let before = threads()
            // A second of sleep's no other process has in its argv, to find the tasks' processes by.
            let mark = "0.000\(UInt32.random(in: 100_000_000...999_999_999))"
            for _ in 0..<tasks {
                let _: SubmitResult = try await c.client.call("POST", leader, "/v1/tasks", body: TaskSubmission(
                    kind: "shell", args: ["command": "exec sleep 30 \(mark)"]))
            }
            try await eventually("\(tasks) commands to run at once", timeout: .seconds(60), poll: .milliseconds(100)) {
                Self.processes(marked: mark).count == tasks
            }
            let during = threads()
            print("node threads: \(before) before, \(during) with \(tasks) shell tasks running")
            // The runtime's pools may grow by a thread or two; a thread per task would be \(tasks).
            #expect(during <= before + 4, "\(before) threads before, \(during) with \(tasks) shell tasks running")
        }
    }

    /// The processes whose argv holds `marker`, by /proc/PID/cmdline.
    static func processes(marked marker: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), let argv = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            return String(decoding: argv, as: UTF8.self).split(separator: "\0").contains { $0 == marker } ? pid : nil
        }
    }

    @Test func aShellTaskThatCannotStartForWantOfDescriptorsFailsAndTheNodeGoesOn() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") else {
            print("skipped: no /usr/bin/prlimit to lower a running node's descriptor limit")
            return
        }
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "1", "--allow-shell"]) { c in
            let leader = try await c.waitForLeader().adminAddress
            let pid = try #require(c.launcher.pid(of: c.node("n1")))
            // A built-in task first: the admin connection this test goes on using is open before the limit drops.
            let warm: SubmitResult = try await c.client.call("POST", leader, "/v1/tasks", body: TaskSubmission(kind: "echo", args: ["text": "hi"]))
            #expect(try await Self.finished(c, leader, warm.id).state == .succeeded)
            let original = try #require(Self.openFileLimit(of: pid))
            let before = Self.openDescriptors(of: pid)
            // Descriptors run out at every step of a start in turn: with one to spare the pipe
            // cannot be made; with a few more the pipe can, and what comes after cannot (the
            // library's monitor and I/O threads, made on first use, or the child's pidfd). The
            // command runs 0.2 s: a child whose pidfd could not be opened is seen to end only if
            // it already has, so one still running would be waited for forever.
            for spare in 1...10 {
                let limit = Self.openDescriptors(of: pid) + spare
                #expect(try spawnAndWait(["/usr/bin/prlimit", "--pid", "\(pid)", "--nofile=\(limit):"]) == 0)
                let starved: SubmitResult = try await c.client.call("POST", leader, "/v1/tasks", body: TaskSubmission(
                    kind: "shell", args: ["command": "sleep 0.2; echo ran with \(spare) to spare"], maxAttempts: 1))
                let task = try await Self.finished(c, leader, starved.id)
                #expect(try spawnAndWait(["/usr/bin/prlimit", "--pid", "\(pid)", "--nofile=\(original):"]) == 0)
                if spare == 1 { #expect(task.state == .failed, "\(task)") }
                if task.state == .failed {
                    #expect(task.error?.hasPrefix("could not start /bin/sh: ") == true, "\(spare) to spare: \(task)")
                }
                print("shell task with \(spare) descriptors to spare: \(task.state) \(task.error ?? "")")
            }
            // Descriptors back: the node is alive and runs the next shell task.
            let next: SubmitResult = try await c.client.call("POST", leader, "/v1/tasks", body: TaskSubmission(kind: "shell", args: ["command": "echo alive"]))
            let ran = try await Self.finished(c, leader, next.id)
            #expect(ran.state == .succeeded && ran.result == "alive\n", "\(ran)")
            #expect(kill(pid, 0) == 0, "the node is still running")
            try await eventually("the node's descriptors to come back to \(before)", timeout: .seconds(30), poll: .milliseconds(100)) {
                Self.openDescriptors(of: pid) <= before
            }
        }
    }
}
