import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// What a node does with its disk across restarts: catch up through a snapshot, truncate a
/// torn tail, refuse to start on corruption.
@Suite("Node storage across restarts", .serialized)
struct StorageScenarioTests {
    func submit(_ c: LocalCluster, to leader: NodeStatus, count: Int, prefix: String) async throws {
        for i in 0..<count {
            let _: SubmitResult = try await c.client.call("POST", leader.adminAddress, "/v1/tasks",
                                                          body: TaskSubmission(kind: "echo", key: "\(prefix)-\(i)"))
        }
    }

    @Test func aNodeBehindTheSnapshotCatchesUpThroughInstallSnapshot() async throws {
        try await withCluster(nodeArgs: ["--slots", "0", "--snapshot-every", "20"]) { c in
            let watch = InvariantWatch(c)
            let leader = try await c.waitForLeader()
            let lagging = c.spec.nodes.first { $0.id != leader.id }!
            #expect(await c.launcher.stop(lagging))
            // More single-entry appends than the leader keeps in flight to a silent peer (64): the
            // ones it did send wait in the transport's queue and arrive on reconnect, so with fewer
            // the node would catch up from them and never need the snapshot.
            try await submit(c, to: leader, count: 150, prefix: "while-down")
            // The snapshot is encoded off the loop and stored a moment later.
            try await eventually("the leader to compact its log") { (try? await c.client.status(leader.adminAddress))?.snapshotIndex ?? 0 > 0 }
            let before = try await c.client.status(leader.adminAddress)
            // Each snapshot says what it held, how long it took to encode off the loop and how long
            // storing it held the Raft loop.
            let events: [NodeEvent] = try await c.client.call("GET", leader.adminAddress, "/v1/events/recent?limit=1000")
            let snapshots = events.filter { $0.kind == "snapshot" }.map(\.message)
            #expect(snapshots.contains { $0.hasPrefix("snapshot at \(before.snapshotIndex) (") }, "\(snapshots)")
            #expect(!snapshots.isEmpty && snapshots.allSatisfy {
                $0.contains(" MB, ") && $0.contains(" tasks); log compacted; encoded and written in ") && $0.contains(" ms off the loop, which was held ")
                    && $0.contains(" ms to store it (") && $0.contains(" ms of it on the CPU; preempted ") && $0.hasSuffix(" times)")
            }, "\(snapshots)")
            try c.launcher.start(lagging, spec: c.spec)
            let v = try await c.waitFor("\(lagging.id) to catch up") { v in
                guard let s = v.node(lagging.id)?.live else { return false }
                return s.applied >= before.commit
            }
            let caughtUp = try #require(v.node(lagging.id)?.live)
            #expect(caughtUp.snapshotIndex > 0, "it received a snapshot")
            #expect(caughtUp.tasks.byState[.queued] == 150)
            let log = try String(contentsOfFile: lagging.logFile, encoding: .utf8)
            #expect(log.contains("installed snapshot at"), "the node says it installed the leader's snapshot")
            // Decoded and written off its loop, installed on it: the line says how long each took.
            let install = log.split(separator: "\n").first { $0.contains("installed snapshot at") }.map(String.init) ?? ""
            #expect(install.contains(" tasks); decoded and written in ") && install.contains(" ms off the loop, which was held ")
                && install.contains(" ms to install it ("), "\(install)")
            try await watch.verdict()
        }
    }

    @Test func aTornTailIsTruncatedAndCorruptionRefusesToStart() async throws {
        try await withCluster(nodeArgs: ["--slots", "0"]) { c in
            let leader = try await c.waitForLeader()
            try await submit(c, to: leader, count: 20, prefix: "t")
            let victim = c.spec.nodes.first { $0.id != leader.id }!
            try await c.waitFor("\(victim.id) to apply everything") { v in
                (v.node(victim.id)?.live?.applied ?? 0) >= leader.commit + 20
            }
            #expect(await c.launcher.stop(victim))
            let walDir = "\(victim.dataDir)/wal"
            let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: walDir).sorted().last)
            let path = "\(walDir)/\(segment)"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))

            // A torn tail: the last record lost its end. The node starts and says so.
            try bytes.prefix(bytes.count - 3).write(to: URL(fileURLWithPath: path))
            try c.launcher.start(victim, spec: c.spec)
            try await c.waitFor("\(victim.id) back after a torn tail") { v in
                v.node(victim.id)?.live?.leader != nil
            }
            #expect(await c.launcher.stop(victim))
            let log = try String(contentsOfFile: victim.logFile, encoding: .utf8)
            #expect(log.lowercased().contains("torn"), "the truncation is logged")

            // A flipped bit in the middle: the node refuses to start, naming file and offset.
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count / 2] ^= 0x10
            try bytes.write(to: URL(fileURLWithPath: path))
            let p = Process()
            p.executableURL = URL(fileURLWithPath: LocalCluster.executable)
            p.arguments = ["node", "--id", victim.id, "--raft", victim.raftAddress, "--admin", victim.adminAddress,
                           "--data", victim.dataDir, "--cluster", c.spec.clusterID, "--token-file", c.spec.tokenFile,
                           "--peers", c.spec.peersFlag]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            let deadline = ContinuousClock.now + .seconds(20)
            while p.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            if p.isRunning { p.terminate() }
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationStatus != 0)
            #expect(message.contains(segment), "names the file: \(message)")
            #expect(message.contains("offset"), "names the offset: \(message)")
        }
    }

    @Test func aFlippedBitInASnapshotIsFoundAndNamedWithItsOffset() async throws {
        try await withCluster(nodeArgs: ["--slots", "0", "--snapshot-every", "20"]) { c in
            let leader = try await c.waitForLeader()
            try await submit(c, to: leader, count: 50, prefix: "s")
            let victim = c.spec.nodes.first { $0.id != leader.id }!
            try await c.waitFor("\(victim.id) to take a snapshot") { v in (v.node(victim.id)?.live?.snapshotIndex ?? 0) > 0 }
            #expect(await c.launcher.stop(victim))
            let snapDir = "\(victim.dataDir)/snap"
            let name = try #require(try FileManager.default.contentsOfDirectory(atPath: snapDir).filter { $0.hasSuffix(".bin") }.sorted().last)
            let path = "\(snapDir)/\(name)"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count / 2] ^= 0x04
            try bytes.write(to: URL(fileURLWithPath: path))
            // The node keeps 1000 entries of WAL behind each snapshot, so the WAL still covers what
            // the damaged one held: it falls back to an older state and starts, naming the file and
            // the offset, and sets the file aside.
            try c.launcher.start(victim, spec: c.spec)
            try await c.waitFor("\(victim.id) to catch up after the fallback") { v in
                guard let s = v.node(victim.id)?.live, let l = v.leader else { return false }
                return s.applied >= l.commit && s.commitHash == l.commitHash
            }
            let log = try String(contentsOfFile: victim.logFile, encoding: .utf8)
            let line = log.split(separator: "\n").first { $0.contains("snapshot \(path) is damaged") }.map(String.init) ?? ""
            #expect(line.contains("\(path) is corrupt at offset \(bytes.count - 4)"), "names the file and the offset: \(line)")
            #expect(!line.contains("Refusing to start"), "it did start: \(line)")
            #expect(FileManager.default.fileExists(atPath: path + ".corrupt"), "the damaged file is set aside")
        }
    }
}
