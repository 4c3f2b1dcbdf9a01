import Foundation
@testable import Orchestrator
import Testing

/// `--raft-nice` and `--raft-realtime` on a real node: exactly the Raft loop's two threads (the
/// driver and its ticker) take the priority, and a node the kernel refuses it to does not start.
@Suite("The Raft loop's priority", .enabled(if: geteuid() == 0, "needs root to raise a thread's priority"))
struct RaftLoopPriorityTests {
    @Test(arguments: [
        (["--raft-realtime", "3"], "real-time priority 3 (SCHED_FIFO)"),
        (["--raft-nice", "-7"], "nice -7"),
    ])
    func exactlyTheLoopsTwoThreadsTakeIt(_ flags: [String], _ said: String) async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "1"] + flags) { c in
            _ = try await c.waitForLeader()
            let pid = try #require(c.launcher.pid(of: c.node("n1")))
            let threads = try schedulingOfThreads(pid)
            let raised = threads.filter { flags[0] == "--raft-realtime" ? $0.policy == 1 && $0.rtPriority == 3 : $0.nice == -7 }
            #expect(raised.count == 2, "\(threads)")
            #expect(threads.count - raised.count >= 2, "the node's other threads keep the process's priority: \(threads)")
            #expect(c.logs().contains("the Raft loop's threads run at \(said)"), "\(c.logs())")
        }
    }

    /// Without CAP_SYS_NICE (dropped from the bounding set, as for an unprivileged user) the
    /// node refuses to start, naming what it could not take and why.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "setpriv (util-linux) is not installed"),
          arguments: [(["--raft-realtime", "1"], "real-time priority 1 (SCHED_FIFO)"), (["--raft-nice", "-1"], "nice -1")])
    func withoutThePrivilegeTheNodeRefusesToStart(_ flags: [String], _ said: String) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-prio-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ports = try FreePorts.take(2)
        let argv = ["/usr/bin/setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice", LocalCluster.executable, "node", "--id", "n1",
                    "--raft", "127.0.0.1:\(ports[0])", "--admin", "127.0.0.1:\(ports[1])", "--data", "\(dir)/data"] + flags
        let pid = try spawnProcess(argv[0], Array(argv.dropFirst()), log: "\(dir)/out.log")
        let status = await reapProcess(pid, within: .seconds(20))
        if status == nil {
            kill(pid, SIGKILL)
            await reapProcess(pid, within: .seconds(5))
        }
        let out = (try? String(contentsOfFile: "\(dir)/out.log", encoding: .utf8)) ?? ""
        // How it ended, as waitpid tells it: an exit code, or a signal.
        let ended = status.map { $0 & 0x7f == 0 ? "exit \(($0 >> 8) & 0xff)" : "signal \($0 & 0x7f)" } ?? "still running after 20 s"
        #expect(ended == "exit 2", "it ends as a node that cannot start does (\(ended)): \(out)")
        #expect(out.contains("cannot run the Raft loop at \(said): ") && out.contains(" (this needs root or CAP_SYS_NICE)"), "\(out)")
    }

    struct Scheduling: CustomStringConvertible {
        var tid: Int, name: String, nice: Int, rtPriority: Int, policy: Int
        var description: String { "\(tid) \(name) nice=\(nice) rt=\(rtPriority) policy=\(policy)" }
    }

    /// Each thread's nice value, real-time priority and policy, fields 19, 40 and 41 of
    /// /proc/PID/task/TID/stat (counted after the parenthesised name, which may hold spaces).
    func schedulingOfThreads(_ pid: pid_t) throws -> [Scheduling] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").compactMap { tid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")  // fields[0] is field 3
            guard fields.count > 38, let nice = Int(fields[16]), let rt = Int(fields[37]), let policy = Int(fields[38]) else { return nil }
            return Scheduling(tid: Int(tid) ?? 0, name: String(stat[stat.index(after: open)..<close]), nice: nice, rtPriority: rt, policy: policy)
        }
    }
}
