import ChildProcesses
import Foundation
import Logging
import TaskQueue
import Testing
import TestSupport
@testable import FlotillaNode

/// The task kinds a node runs, shell above all: it must never hang on a chatty command.
@Suite("Task executor")
struct TaskExecutorTests {
    func executor(allowShell: Bool) -> TaskExecutor {
        TaskExecutor(node: "n1", allowShell: allowShell, logger: Logger(label: "test")) { _ in }
    }

    /// Runs `spec`, failing the test instead of hanging when it takes longer than `limit`
    /// (a guard against a deadlock, generous enough for a busy machine; not a speed check).
    func run(_ e: TaskExecutor, _ spec: TaskSpec, limit: Duration = .seconds(120)) async throws -> Result<String, TaskExecutor.Failure> {
        try await withThrowingTaskGroup(of: Result<String, TaskExecutor.Failure>?.self) { group in
            group.addTask { await e.execute(spec) }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                Issue.record("\(spec.kind) \(spec.args) did not finish within \(limit)")
                throw CancellationError()
            }
            return result
        }
    }

    @Test func aShellCommandPrintingFarMoreThanAPipeHoldsFinishesWithItsOutputCapped() async throws {
        // 1 MiB through a 64 KiB pipe: reading only after the exit would wait forever.
        let big = TaskSpec(kind: "shell", args: ["command": "head -c 1048576 /dev/zero | tr '\\0' x; echo done >&2"])
        let result = try await run(executor(allowShell: true), big)
        let text = try result.get()
        #expect(text.utf8.count == TaskExecutor.shellOutputLimit)
        #expect(text.allSatisfy { $0 == "x" })
        // A failing command's output is kept (capped) in its error.
        let failing = TaskSpec(kind: "shell", args: ["command": "head -c 200000 /dev/zero | tr '\\0' y; exit 3"])
        guard case .failure(let f) = try await run(executor(allowShell: true), failing) else {
            Issue.record("exit 3 must fail")
            return
        }
        #expect(f.message.hasPrefix("exit 3: yyy"))
        #expect(f.message.utf8.count <= TaskExecutor.shellOutputLimit + 16)
    }

    @Test func smallOutputAndStderrAreReturned() async throws {
        let r = try await run(executor(allowShell: true), TaskSpec(kind: "shell", args: ["command": "echo hi; echo there >&2"]))
        #expect(try r.get() == "hi\nthere\n")
    }

    @Test func shellRunsOnlyWhenAllowed() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("shell-ran-\(UUID())").path
        let r = try await run(executor(allowShell: false), TaskSpec(kind: "shell", args: ["command": "touch \(marker)"]))
        guard case .failure(let f) = r else {
            Issue.record("a node without --allow-shell ran a shell task")
            return
        }
        #expect(f.message.contains("shell tasks are disabled"))
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func cancellingAShellTaskStopsIt() async throws {
        let e = executor(allowShell: true)
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("shell-started-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        // Left alone, this would succeed (with no output) after 300 s.
        let job = Task { await e.execute(TaskSpec(kind: "shell", args: ["command": "touch \(marker); exec sleep 300"])) }
        // The job waits its turn on the shared pool, which the suite's synchronous tests keep busy
        // for tens of seconds at the start of a full run: the bound is generous, not a speed check.
        try await eventually("the command to start", timeout: .seconds(120)) { FileManager.default.fileExists(atPath: marker) }
        job.cancel()
        guard case .failure(let f) = await job.value else { Issue.record("a cancelled command ran to success"); return }
        #expect(f.message.hasPrefix("exit 137"), "killed by SIGKILL: \(f.message)")
    }

    @Test func aShellTaskCancelledBeforeItStartsIsStoppedToo() async throws {
        let e = executor(allowShell: true)
        let job = Task { await e.execute(TaskSpec(kind: "shell", args: ["command": "exec sleep 300"])) }
        job.cancel()
        guard case .failure(let f) = await job.value else { Issue.record("a cancelled command ran to success"); return }
        #expect(f.message == "cancelled" || f.message.hasPrefix("exit 137"), "\(f.message)")
    }

    @Test func aBackgroundChildHoldingTheOutputDoesNotKeepTheTaskRunning() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("background-done-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: marker) }
        // The background child keeps the output pipe open for 300 s: waiting for its end would hang.
        let outcome = try await withHangGuard { try await ShellProcess.run("(sleep 300; touch \(marker)) & echo started", keep: 4096) }
        defer { kill(-outcome.pid, SIGKILL) }  // the background child, left running in the shell's group
        #expect(outcome.status == 0)
        #expect(String(decoding: outcome.output, as: UTF8.self) == "started\n")
        #expect(!FileManager.default.fileExists(atPath: marker), "it came back before the background child finished")
    }

    @Test func theCommandInheritsNoDescriptorOfTheNode() async throws {
        let held = open("/dev/null", O_RDONLY)  // inheritable, as a socket of the node would be
        defer { close(held) }
        let outcome = try await withHangGuard { try await ShellProcess.run("ls /proc/self/fd", keep: 4096) }
        let fds = String(decoding: outcome.output, as: UTF8.self).split(separator: "\n").compactMap { Int($0) }.sorted()
        // 0-2, and the one ls opens to list the directory.
        #expect(fds.count <= 4 && !fds.contains(Int(held)), "\(fds)")
        #expect(fds.prefix(3) == [0, 1, 2])
    }

    /// The processes whose argv holds `marker`, by /proc/PID/cmdline.
    static func processes(marked marker: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> pid_t? in
            guard let pid = pid_t(name), let argv = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            return String(decoding: argv, as: UTF8.self).split(separator: "\0").contains { $0 == marker } ? pid : nil
        }
    }

    /// A second of sleep's that no other process has in its argv: `sleep 60 <mark>` sleeps
    /// 60 s and a hair, and can be found by it.
    static func uniqueSleepMark() -> String { "0.000\(UInt32.random(in: 100_000_000...999_999_999))" }

    @Test func aRunningShellTaskHoldsOnlyItsStandardDescriptors() async throws {
        let held = open("/dev/null", O_RDONLY)  // inheritable, as a socket of the node would be
        defer { close(held) }
        let mark = Self.uniqueSleepMark()
        let e = executor(allowShell: true)
        let job = Task { await e.execute(TaskSpec(kind: "shell", args: ["command": "exec sleep 60 \(mark)"])) }
        defer { job.cancel() }
        try await eventually("the task's process to run", timeout: .seconds(120)) { !Self.processes(marked: mark).isEmpty }
        let pid = try #require(Self.processes(marked: mark).first)
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap { Int($0) }.sorted()
        #expect(fds == [0, 1, 2], "the task holds \(fds)")
        job.cancel()
        _ = await job.value
    }

    @Test func cancellingAShellTaskKillsEveryProcessItStarted() async throws {
        let mark = Self.uniqueSleepMark()
        let e = executor(allowShell: true)
        // One sleep in the background, one in the foreground: killing only the shell would leave both.
        let job = Task { await e.execute(TaskSpec(kind: "shell", args: ["command": "sleep 60 \(mark) & sleep 60 \(mark)"])) }
        defer { for pid in Self.processes(marked: mark) { kill(pid, SIGKILL) } }
        try await eventually("both sleeps to run", timeout: .seconds(120)) { Self.processes(marked: mark).count == 2 }
        job.cancel()
        let outcome = try await withHangGuard { await job.value }
        guard case .failure(let f) = outcome else { Issue.record("a cancelled command ran to success"); return }
        #expect(f.message.hasPrefix("exit 137"), "\(f.message)")
        try await eventually("no sleep of the task left", timeout: .seconds(20)) { Self.processes(marked: mark).isEmpty }
    }

    @Test func exitCodesAndSignalsAreReported() async throws {
        #expect(try await ShellProcess.run("exit 7", keep: 10).status == 7)
        #expect(try await ShellProcess.run("kill -9 $$", keep: 10).status == 137)
    }

    @Test func theBuiltInKindsRun() async throws {
        let e = executor(allowShell: false)
        #expect(try await run(e, TaskSpec(kind: "echo", args: ["text": "hello"])).get() == "hello")
        #expect(try await run(e, TaskSpec(kind: "sleep", args: ["ms": "5"])).get() == "slept 5 ms")
        #expect(try await run(e, TaskSpec(kind: "hash", args: ["rounds": "10"])).get().isEmpty == false)
        guard case .failure(let f) = try await run(e, TaskSpec(kind: "nope")) else { Issue.record("unknown kind ran"); return }
        #expect(f.message.contains("unknown task kind"))
    }
}
