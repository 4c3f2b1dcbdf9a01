import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// kill -9 in the middle of heavy writes, over and over: every restart must recover its WAL
/// (cutting a torn tail if the kill left one, and saying so), keep everything it had made
/// durable, and agree with the leader on the recovered prefix. Nothing acknowledged is lost.
@Suite("Crash consistency under load", .serialized)
struct CrashRestartTests {
    @Test(.timeLimit(.minutes(10)))
    func thirtyKillsDuringHeavyWritesLoseNothingAcknowledged() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0", "--snapshot-every", "1000"]) { c in
            let watch = InvariantWatch(c)
            _ = try await c.waitForLeader()
            let load = LoadGenerator(control: c.control, rate: 100, maxInFlight: 32)
            await load.start()
            do {
                try await eventually("writes to flow") { await load.summary.ok >= 50 }
                for round in 1...30 {
                    let s = try await c.waitFor("an effective leader before kill \(round)") { AvailabilityTracker.effectiveLeader($0) }
                    let leader = s.leader!
                    // Mostly followers, which append the leader's stream; every tenth kill takes the leader.
                    let followers = s.live.map(\.id).filter { $0 != leader.id }.sorted()
                    let victim = round % 10 == 0 || followers.isEmpty ? leader.id : followers[round % followers.count]
                    let before = try #require(s.node(victim)?.live, "round \(round): \(victim) answers before its kill")
                    try await c.control.kill(victim)
                    // SIGKILL leaves whole writes in the page cache; a power cut mid-write leaves half
                    // of one. Every fifth time, add what such a cut leaves: the start of a record that
                    // was never fsynced (so never acknowledged) at the end of the last segment.
                    let tearing = round % 5 == 0
                    let tornBefore = tornTails(c.node(victim))
                    if tearing { try tearTail(of: c.node(victim), round: round) }
                    try await c.control.restart(victim)
                    let back = try await c.waitFor("\(victim) to answer after kill \(round)", timeout: .seconds(15)) { $0.node(victim)?.live != nil }
                    let after = try #require(back.node(victim)?.live)
                    // What the node had published was durable: its commit survives, and while the leader
                    // stays the same so does every entry it held (no leader change can truncate them).
                    #expect(after.commit >= before.commit, "round \(round): \(victim)'s commit went from \(before.commit) to \(after.commit)")
                    if victim != leader.id {
                        #expect(after.lastIndex >= before.lastIndex, "round \(round): \(victim) held \(before.lastIndex) entries, recovered \(after.lastIndex)")
                    }
                    // The recovered prefix is the leader's.
                    if before.commit > 0, let now = back.leader, now.id != victim,
                       let mine: LogHash = try? await c.client.call("GET", after.adminAddress, "/v1/log/hash?index=\(before.commit)"),
                       let theirs: LogHash = try? await c.client.call("GET", now.adminAddress, "/v1/log/hash?index=\(before.commit)") {
                        #expect(mine == theirs, "round \(round): \(victim) recovered a different entry \(before.commit)")
                    }
                    let log = (try? String(contentsOfFile: c.node(victim).logFile, encoding: .utf8)) ?? ""
                    #expect(!log.contains("Refusing to start"), "round \(round): \(victim) found corruption:\n\(log.suffix(2000))")
                    if tearing {
                        #expect(tornTails(c.node(victim)) > tornBefore, "round \(round): \(victim) says it cut the torn tail:\n\(log.suffix(2000))")
                    }
                }
                try await eventually("writes to flow after the last kill") { await load.summary.ok >= 100 }
                await load.stop()
                let acked = await load.acknowledged
                #expect(acked.count >= 300, "heavy writes: \(acked.count) acknowledged")
                try await c.waitFor("all three to agree") { s in
                    s.live.count == 3 && Set(s.live.map { "\($0.commit)/\($0.commitHash)" }).count == 1
                }
                let torn = c.spec.nodes.map(tornTails).reduce(0, +)
                #expect(torn >= 6, "every torn tail was found and cut")
                print("crash consistency: 30 kills, \(acked.count) acknowledged writes, \(torn) torn tails truncated")
                try await watch.verdict(acknowledged: acked)
            } catch {
                await load.stop()
                throw error
            }
        }
    }

    /// How often a node has logged cutting a torn WAL tail.
    func tornTails(_ node: ClusterSpec.NodeSpec) -> Int {
        ((try? String(contentsOfFile: node.logFile, encoding: .utf8)) ?? "").components(separatedBy: "ends in a torn write").count - 1
    }

    /// Appends the first bytes of a record (a length, part of a checksum) to the node's last WAL segment.
    func tearTail(of node: ClusterSpec.NodeSpec, round: Int) throws {
        let wal = "\(node.dataDir)/wal"
        let last = try #require(try FileManager.default.contentsOfDirectory(atPath: wal).filter { $0.hasPrefix("wal-") && $0.hasSuffix(".log") }.sorted().last,
                                "a WAL segment in \(wal)")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(wal)/\(last)"))
        defer { try? handle.close() }
        try handle.seekToEnd()
        // Length 40 (little-endian), then three bytes of a checksum: the record breaks off there.
        try handle.write(contentsOf: Data([40, 0, 0, 0, UInt8(round), 0x5a, 0xa5]))
    }
}
