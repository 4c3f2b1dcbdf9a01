import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Runs the `flotilla` binary; returns its exit status, stdout and stderr. It waits on a thread
/// of its own, never on one of the few threads the concurrent tests share.
/// `environment` overrides this process's variables for the run; a nil value unsets one.
func flotilla(_ args: [String], environment: [String: String?] = [:]) async throws -> (code: Int32, out: String, err: String) {
    try await offThePool { try runFlotilla(args, environment: environment) }
}

private func runFlotilla(_ args: [String], environment: [String: String?]) throws -> (code: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: LocalCluster.executable)
    p.arguments = args
    if !environment.isEmpty {
        var env = ProcessInfo.processInfo.environment
        for (name, value) in environment { env[name] = value }
        p.environment = env
    }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

@Suite("The control commands", .serialized)
struct CLITests {
    @Test func badInputGetsOneClearLineAndChangesNothing() async throws {
        try await withCluster(nodes: 3) { c in
            let leader = try await c.waitForLeader()
            let dir = c.launcher.directory
            let cases: [([String], String)] = [
                (["kill", "n9", "--dir", dir], "unknown node n9"),
                (["partition", "n1,n1|n2", "--dir", dir], "named twice"),
                (["partition", " ", "--dir", dir], "names no node"),
                (["isolate", "n7", "--dir", dir], "unknown node n7"),
                (["scale", "0", "--dir", dir], "below one node"),
                (["scale", "-3", "--dir", dir], "below one node"),
                (["transfer", "n8", "--dir", dir], "unknown node n8"),
                (["status", "--dir", "\(dir)-missing"], "does not exist"),
                (["status", "--connect", "127.0.0.1:1"], "no node answers"),
                (["approve", "n5", "--dir", dir], "no join from n5 is pending"),
                // Amounts read by the one grammar the console's `:` line uses: refused with their form, never defaulted.
                (["loss", "all", "lots", "--dir", dir], "loss: expected a share like 10% or 0.1 (0% to 100%), got 'lots'"),
                (["delay", "all", "100", "--dir", dir], "delay: the delay: expected a duration like 250ms, 2s or 1m, got '100'"),
                (["disk", "n1", "slow", "fast", "--dir", dir], "disk: slow: expected a duration like 250ms, 2s or 1m, got 'fast'"),
                (["skew", "n1", "11x", "--dir", dir], "skew: expected a clock rate from 0.1x to 10.0x"),
                // One directory, one cluster: etcd is not started beside Flotilla's nodes.
                (["up", "--engine", "etcd", "--dir", dir], "holds a cluster of Flotilla's nodes (cluster.json)"),
            ]
            for (args, expected) in cases {
                let r = try await flotilla(args)
                #expect(r.code != 0, "\(args) exits non-zero")
                let lines = r.err.split(separator: "\n")
                #expect(lines.count == 1 && lines[0].hasPrefix("flotilla: ") && r.err.contains(expected),
                        "\(args): stderr was \(r.err)")
            }
            // Flags with amounts are read by the same types: ArgumentParser's usage error carries the form.
            for (args, expected) in [(["heal", "--timeout", "5"], "expected a duration like 250ms, 2s or 1m, got '5'"),
                                     (["submit", "--kind", "echo", "--arg", "text"], "expected KEY=VALUE, got 'text'")] {
                let r = try await flotilla(args + ["--dir", dir])
                #expect(r.code != 0 && r.err.contains(expected), "\(args): \(r.err)")
            }
            // And Flotilla's nodes are not started beside an etcd cluster.
            let etcdDir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-dir-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: etcdDir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: etcdDir) }
            try Data("{}".utf8).write(to: URL(fileURLWithPath: "\(etcdDir)/etcd.json"))
            let beside = try await flotilla(["up", "--dir", etcdDir])
            #expect(beside.code != 0 && beside.err.contains("holds an etcd cluster (etcd.json)"), "\(beside.err)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: etcdDir) == ["etcd.json"], "nothing was made beside it")
            let tasks = try await flotilla(["tasks", "--watch", "--dir", etcdDir])
            #expect(tasks.code != 0 && tasks.err.contains("etcd has no task queue"), "\(tasks.err)")
            let s = await c.view()
            #expect(s.leader?.id == leader.id && s.leader?.term == leader.term, "nothing changed")
            #expect(s.live.allSatisfy { $0.faults.isClean } && s.voters.count == 3)
        }
    }

    @Test func commandsDriveTheClusterAndSpeakJSON() async throws {
        try await withCluster(nodes: 3) { c in
            let leader = try await c.waitForLeader()
            let dir = c.launcher.directory
            let status = try await flotilla(["status", "--dir", dir, "-o", "json"])
            #expect(status.code == 0)
            let snap = try JSONDecoder.iso8601.decode(ClusterSnapshot.self, from: Data(status.out.utf8))
            #expect(snap.nodes.count == 3)
            let table = try await flotilla(["status", "--dir", dir])
            #expect(table.out.hasPrefix("ID  ADDRESS") && table.out.contains("UPTIME"))

            #expect(try await flotilla(["partition", "leader", "--dir", dir]).out.contains("{\(leader.id)} |"))
            try await c.waitFor("a new leader") { $0.leader.map { $0.id != leader.id } ?? false }
            let heal = try await flotilla(["heal", "--dir", dir, "--timeout", "10s"])
            #expect(heal.code == 0 && heal.out.contains("complete"), "\(heal)")

            let submit = try await flotilla(["submit", "--kind", "echo", "--arg", "text=hi", "--count", "2", "--dir", dir, "-o", "json"])
            let ids = try JSONDecoder().decode([SubmitResult].self, from: Data(submit.out.utf8)).map(\.id)
            #expect(ids.count == 2)
            try await eventually("the tasks to run") {
                let t = try? await flotilla(["tasks", "--state", "succeeded", "--dir", dir, "-o", "json"])
                let list = t.flatMap { try? JSONDecoder().decode(TaskList.self, from: Data($0.out.utf8)) }
                return Set(list?.tasks.map(\.id) ?? []).isSuperset(of: ids)
            }
            let check = try await flotilla(["check", "--duration", "1s", "--dir", dir])
            #expect(check.code == 0 && check.out.contains("invariants: ok"), "\(check)")
        }
    }

    /// `flotilla supervise` on Flotilla's nodes, started as `up` starts it: each event is a stamped
    /// line in supervisor.log, and a node killed behind its back is started again and answers.
    @Test func theSupervisorRestartsANodeThatDiedAndLogsIt() async throws {
        try await withCluster(nodes: 3) { c in
            _ = try await c.waitForLeader()
            let log = "\(c.launcher.directory)/supervisor.log"
            try c.launcher.startSupervisor(["--recover", "auto"])
            do {
                try await eventually("the supervisor watches", timeout: .seconds(20)) {
                    ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("Z [recovery] supervising flotilla with recovery auto")
                }
                let n2 = c.node("n2")
                let before = try #require(c.launcher.pid(of: n2))
                #expect(kill(before, SIGKILL) == 0)
                try await c.waitFor("n2 started again and answering", timeout: .seconds(30)) { s in
                    c.launcher.pid(of: n2).map { $0 != before } == true && s.node("n2")?.up == true
                }
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                #expect(text.contains("n2 died without an operator's kill") && text.contains("restarted n2 (pid "), "\(text)")
            } catch {
                await c.launcher.stopSupervisor()
                throw error
            }
            await c.launcher.stopSupervisor()
            #expect(c.launcher.supervisorPid() == nil)
        }
    }

    @Test func anApprovedJoinIsAdmittedAndADeniedOneIsNot() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "1", "--approve-joins"]) { c in
            _ = try await c.waitForLeader()
            let scaling = Task { try await c.control.scaleUp(timeout: .seconds(30)) }
            try await c.waitFor("n4's join to be pending") { $0.pending.map(\.id) == ["n4"] }
            #expect(await c.view().members.count == 3, "a pending node is not a member")
            try await c.control.approve("n4")
            #expect(try await scaling.value == "n4")
            #expect(await c.view().voters.contains("n4"))
            let denied = Task { try await c.control.scaleUp(timeout: .seconds(6)) }
            try await c.waitFor("n5's join to be pending") { $0.pending.map(\.id) == ["n5"] }
            try await c.control.approve("n5", deny: true)
            await #expect(throws: (any Error).self) { try await denied.value }
            let s = await c.view()
            #expect(!s.members.contains { $0.id == "n5" } && s.pending.isEmpty)
        }
    }
}

extension JSONDecoder {
    static var iso8601: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}
