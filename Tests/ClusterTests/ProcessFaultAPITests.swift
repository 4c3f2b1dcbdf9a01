import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Process faults through the node's admin API (`POST /v1/faults/crash`, `/v1/faults/freeze`),
/// as `FlotillaEngine` uses them on nodes reached through `--connect`.
@Suite("Crash and freeze through the admin API", .serialized)
struct ProcessFaultAPITests {
    /// The engine over the same nodes as `--connect` reaches them: no launcher, no signals.
    func connected(_ c: LocalCluster, freeze: Duration = .seconds(3)) async throws -> FlotillaEngine {
        let client = try await ClusterClient.connect(c.spec.nodes.map(\.adminAddress), token: c.token)
        return FlotillaEngine(control: ClusterControl(client: client), remoteFreeze: freeze)
    }

    @Test func killOverConnectCrashesTheNodeLeavingLastWords() async throws {
        try await withCluster(nodes: 3) { c in
            // The guard starts once a cluster slot is held: waiting for one is not a hang.
            try await withHangGuard(.seconds(90)) {
                let leader = try await c.waitForLeader()
                let engine = try await connected(c)
                defer { Task { await engine.shutdown() } }
                let victim = try #require(c.spec.nodes.map(\.id).first { $0 != leader.id })
                #expect(engine.supports(.kill(node: victim)))
                try await CommandPerformer(engine: engine).perform(.kill(node: victim))
                let after = try await c.waitFor("\(victim) down", timeout: .seconds(10)) { !($0.node(victim)?.up ?? true) }
                #expect(after.leader?.id == leader.id, "a follower's crash moves no leadership")
                let log = try String(contentsOfFile: c.node(victim).logFile, encoding: .utf8)
                #expect(log.contains("crashed by the operator (POST /v1/faults/crash)"), "last words: \(log.suffix(300))")
                #expect(engine.refusal(.restart(node: victim)) != nil, "restart needs a process this machine started")
            }
        }
    }

    @Test func crashAndFreezeNeedTheTokenAndABoundedSpan() async throws {
        try await withCluster(nodes: 1) { c in
            // The guard starts once a cluster slot is held: waiting for one is not a hang.
            try await withHangGuard(.seconds(150)) {
                _ = try await c.waitForLeader()
                let base = "http://\(c.spec.nodes[0].adminAddress)/v1/faults"
                let noToken = try await rawRequest("POST", base + "/crash")
                #expect(noToken.status == 401, "\(noToken.status)")
                for body in [#"{"ms": 0}"#, #"{"ms": 60001}"#, #"{"ms": "x"}"#] {
                    let bad = try await rawRequest("POST", base + "/freeze", body: Data(body.utf8), token: c.token)
                    #expect(bad.status == 400, "\(body): \(bad.status)")
                    #expect(String(decoding: bad.body, as: UTF8.self).contains("\"error\""), "a JSON error")
                }
                let v = try await c.waitFor("still up", timeout: .seconds(5)) { $0.node("n1")?.up == true }
                #expect(v.leader?.id == "n1", "nothing of the above crashed or froze it")
            }
        }
    }

    @Test func pauseOverConnectFreezesTheLeaderUntilItThaws() async throws {
        try await withCluster(nodes: 3) { c in
            // The guard starts once a cluster slot is held: waiting for one is not a hang.
            try await withHangGuard(.seconds(90)) {
                let leader = try await c.waitForLeader()
                // 8 s: on a loaded machine the other two still elect well inside it.
                let engine = try await connected(c, freeze: .seconds(8))
                defer { Task { await engine.shutdown() } }
                let started = ContinuousClock.now
                let paused = try await CommandPerformer(engine: engine).perform(.pause(node: leader.id))
                #expect(paused.ok, "\(paused)")
                // The other two elect while the frozen one answers nothing, not even its status.
                let during = try await c.waitFor("a new leader while \(leader.id) is frozen", timeout: .seconds(12)) { s in
                    s.leader.map { $0.id != leader.id && $0.term > leader.term } ?? false
                }
                #expect(during.node(leader.id)?.up == false, "a frozen node does not answer: \(during.table())")
                #expect(ContinuousClock.now - started < .seconds(8), "elected before the thaw")
                // After the thaw it answers again and follows the new leader.
                let after = try await c.waitFor("\(leader.id) back as a follower", timeout: .seconds(15)) { s in
                    guard let o = s.node(leader.id)?.live else { return false }
                    return o.role == .follower && o.leader == s.leader?.id
                }
                #expect(ContinuousClock.now - started >= .seconds(8), "not before its freeze ended: \(after.table())")
                #expect(engine.refusal(.resume(node: leader.id)) != nil, "a frozen node cannot be resumed early")
            }
        }
    }
}
