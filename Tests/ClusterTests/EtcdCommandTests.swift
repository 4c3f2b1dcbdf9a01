import FlotillaAPI
import Foundation
@testable import Orchestrator
import Testing
import TestSupport

/// `flotilla up --engine etcd`, `status` and `down` on a real local etcd cluster.
@Suite("The etcd cluster commands",
       .enabled(if: EtcdLocalCluster.etcdOnPath() != nil, "etcd is not on PATH (Debian: apt-get install etcd-server; CI installs it)"))
struct EtcdCommandTests {
    @Test func upStatusAndDownDriveALocalEtcdCluster() async throws {
        try await withEtcdUp("cli") { dir, cluster, up in
            #expect(up.out.contains("leader e"), "\(up.out)")
            let spec = try cluster.load()
            #expect(spec.members.map(\.name) == ["e1", "e2", "e3"])
            #expect(spec.members.allSatisfy { cluster.pid(of: $0) != nil && $0.initialState == "new" })

            let table = try await flotilla(["status", "--dir", dir])
            #expect(table.code == 0, "\(table.err)")
            let rows = table.out.split(separator: "\n").dropFirst()
            #expect(rows.count == 3 && rows.filter { $0.contains(" leader ") }.count == 1, "\(table.out)")

            let json = try await flotilla(["status", "--dir", dir, "-o", "json"])
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let s = try decoder.decode(ClusterSnapshot.self, from: Data(json.out.utf8))
            #expect(s.live.count == 3 && s.voters.count == 3 && s.leader != nil, "\(json.out)")

            let pids = spec.members.compactMap { cluster.pid(of: $0) }
            let down = try await flotilla(["down", "--dir", dir, "--purge"])
            #expect(down.code == 0, "\(down.err)")
            #expect(!FileManager.default.fileExists(atPath: dir))
            #expect(pids.allSatisfy(gone), "every member is gone")
        }
    }

    /// The operator verbs reach a local etcd cluster through the same `perform` as Flotilla's
    /// nodes; what etcd cannot take is refused in one line, exit 1, with nothing done.
    @Test func theVerbsDriveALocalEtcdClusterAndRefuseWhatItCannotTake() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-verbs-\(UUID().uuidString.prefix(8))").path
        let cluster = EtcdLocalCluster(directory: dir, executable: "etcd")
        defer {
            cluster.killAllNow()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let up = try await flotilla(["up", "--engine", "etcd", "--nodes", "3", "--dir", dir])
        #expect(up.code == 0, "\(up.err)")
        let engine = EtcdEngine(local: cluster)
        defer { Task { await engine.shutdown() } }
        let (s, _) = await engine.wait(for: .seconds(10)) { $0.leader != nil && $0.live.count == 3 }
        let leader = try #require(s.leader)
        let target = try #require(s.voters.sorted(by: <).first { $0 != leader.id })

        let transfer = try await flotilla(["transfer", target, "--dir", dir])
        #expect(transfer.code == 0 && transfer.out.contains("\(target) is the leader"), "\(transfer.out)\(transfer.err)")

        let kill = try await flotilla(["kill", target, "--dir", dir])
        #expect(kill.code == 0, "\(kill.err)")
        let (after, elected) = await engine.wait(for: .seconds(15)) { s in s.leader.map { $0.id != target } ?? false }
        #expect(elected, "a new leader after the CLI killed \(target): \(after.report())")

        let isolate = try await flotilla(["isolate", "leader", "--dir", dir])
        #expect(isolate.code == 1 && isolate.err.contains("kernel link faults"), "\(isolate.err)")
        #expect(isolate.err.split(separator: "\n").count == 1, "one line: \(isolate.err)")

        let load = try await flotilla(["load", "--dir", dir, "--duration", "2s"])
        #expect(load.code == 0 && load.out.contains("linearizability: ok"), "\(load.out)\(load.err)")
        let check = try await flotilla(["check", "--dir", dir, "--duration", "1s", "-o", "json"])
        let checked = try JSONSerialization.jsonObject(with: Data(check.out.utf8)) as? [String: Any]
        #expect(check.code == 0 && (checked?["violations"] as? [Any])?.isEmpty == true && ((checked?["checks"] as? Int) ?? 0) > 0,
                "\(check.out)\(check.err)")

        // Through one live member's client address, the member list names the rest.
        let alive = try #require(try cluster.load().members.first { $0.name != target })
        let connected = try await flotilla(["status", "--connect", "etcd://" + alive.clientAddress, "-o", "json"])
        #expect(connected.code == 0 && ["e1", "e2", "e3"].allSatisfy { connected.out.contains("\"\($0)\"") }, "\(connected.out)\(connected.err)")
    }

    /// `--record` on an etcd cluster writes a transcript whose header names the engine, and
    /// `replay` runs its actions again on a fresh etcd cluster through the same performer.
    @Test func aRecordedEtcdSessionReplaysOnAFreshEtcdCluster() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-rec-\(UUID().uuidString.prefix(8))").path
        let replayDir = dir + "-replay"
        let file = dir + ".jsonl"
        let cluster = EtcdLocalCluster(directory: dir, executable: "etcd")
        defer {
            cluster.killAllNow()
            EtcdLocalCluster(directory: replayDir, executable: "etcd").killAllNow()
            for path in [dir, replayDir, file] { try? FileManager.default.removeItem(atPath: path) }
        }
        let up = try await flotilla(["up", "--engine", "etcd", "--nodes", "3", "--dir", dir])
        #expect(up.code == 0, "\(up.err)")
        let transfer = try await flotilla(["transfer", "--dir", dir, "--record", file])
        #expect(transfer.code == 0, "\(transfer.err)")
        let kill = try await flotilla(["kill", "e3", "--dir", dir, "--record", file])
        #expect(kill.code == 0, "\(kill.err)")
        let transcript = try Transcript.read(file)
        #expect(transcript.header.engine == "etcd")
        #expect(transcript.actions.filter(\.isOperators).compactMap { $0.command?.description } == ["transfer", "kill e3"],
                "\(transcript.actions.map(\.summary))")

        let replay = try await flotilla(["replay", file, "--speed", "max", "--dir", replayDir])
        #expect(replay.code == 0, "\(replay.out)\(replay.err)")
        let steps = replay.out.split(separator: "\n").filter { $0.contains("(recorded at") }
        #expect(steps.count == 2 && steps[0].contains("transfer") && steps[1].contains("kill e3") && !replay.out.contains("FAILED"),
                "\(replay.out)")
        let replayed = EtcdLocalCluster(directory: replayDir, executable: "etcd")
        #expect(try replayed.load().members.allSatisfy { replayed.pid(of: $0) == nil }, "the replay stopped its members")
    }

    /// `flotilla up --engine etcd` starts a supervisor beside the members, as `up` does beside
    /// Flotilla's nodes: a member killed behind its back (no `flotilla kill`) is started again and
    /// answers, and `down` stops the supervisor with the members.
    @Test(.timeLimit(.minutes(5))) func upStartsASupervisorThatBringsBackAMemberAndDownStopsIt() async throws {
        try await withClusterSlot {
            try await withEtcdUp("upsup") { dir, cluster, up in
                #expect(up.out.contains("started the supervisor (pid "), "\(up.out)")
                let supervisor = try #require(Launcher(directory: dir).supervisorPid(), "supervisor.pid names a live process")
                try await killE2BehindItsBack(cluster, supervisorLog: "\(dir)/supervisor.log")

                let members = try cluster.load().members.compactMap { cluster.pid(of: $0) }
                let down = try await flotilla(["down", "--dir", dir])
                #expect(down.code == 0, "\(down.err)")
                #expect(gone(supervisor), "down stopped the supervisor")
                #expect(Launcher(directory: dir).supervisorPid() == nil)
                #expect(members.allSatisfy(gone), "every member is gone")
            }
        }
    }

    /// `flotilla supervise` on an etcd cluster: recovery in auto mode starts a member that died
    /// on its own again, and says so in its log.
    @Test(.timeLimit(.minutes(5))) func superviseRestartsAnEtcdMemberThatDiedOnItsOwn() async throws {
        try await withClusterSlot {
            // Without up's own supervisor: this one is the test's.
            try await withEtcdUp("sup", ["--recover", "off"]) { dir, cluster, up in
                #expect(!up.out.contains("started the supervisor"), "\(up.out)")
                let log = "\(dir)/supervisor.log"
                let pid = try Spawn.background(LocalCluster.executable, ["supervise", "--dir", dir, "--recover", "auto", "--election-ms", "1000"], log: log)
                var running = true
                defer { if running { kill(pid, SIGKILL) } }
                try await killE2BehindItsBack(cluster, supervisorLog: log)
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                #expect(text.contains("restarted e2 (pid "), "\(text)")
                kill(pid, SIGTERM)
                #expect(await Spawn.waitForExit(pid, within: .seconds(10)), "the supervisor stops on SIGTERM")
                running = false
            }
        }
    }

    /// Runs `flotilla up --engine etcd --nodes 3` (and `flags`) in a fresh temp dir and hands
    /// `body` the directory, the cluster and what `up` printed; whatever still runs there (the
    /// supervisor, the members) is killed and the directory removed however `body` ends.
    func withEtcdUp(_ name: String, _ flags: [String] = [],
                    _ body: (String, EtcdLocalCluster, (code: Int32, out: String, err: String)) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-\(name)-\(UUID().uuidString.prefix(8))").path
        let cluster = EtcdLocalCluster(directory: dir, executable: "etcd")
        defer {
            cluster.killAllNow()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let up = try await flotilla(["up", "--engine", "etcd", "--nodes", "3", "--dir", dir] + flags)
        #expect(up.code == 0, "\(up.err)")
        try await body(dir, cluster, up)
    }

    /// Once the supervisor logging to `supervisorLog` watches, SIGKILLs e2 behind its back (no
    /// `flotilla kill`) and waits until e2 runs again, as a new process, and answers; the log
    /// must say why it was started.
    func killE2BehindItsBack(_ cluster: EtcdLocalCluster, supervisorLog log: String) async throws {
        try await eventually("the supervisor watches", timeout: .seconds(20)) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("supervising etcd with recovery auto")
        }
        let e2 = try #require(try cluster.load().member("e2"))
        let before = try #require(cluster.pid(of: e2))
        #expect(kill(before, SIGKILL) == 0)
        let engine = EtcdEngine(local: cluster)
        defer { Task { await engine.shutdown() } }
        try await eventually("e2 runs again and answers", timeout: .seconds(40)) {
            guard let now = cluster.pid(of: e2), now != before else { return false }
            return await engine.snapshot().node("e2")?.up == true
        }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.contains("e2 died without an operator's kill"), "\(text)")
    }

    /// Gone, or a zombie nobody has reaped yet (the `up` that started it has exited).
    func gone(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
