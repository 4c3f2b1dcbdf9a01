import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// A node whose data directory is wiped must never come back as the member it was: that
/// member's votes and acknowledgements are gone with the data. It refuses to start (naming
/// `flotilla replace`), the cluster keeps every acknowledged write, and `replace` brings it
/// back as a new incarnation.
@Suite("Amnesia", .serialized)
struct AmnesiaTests {
    /// Submits `count` echo tasks with known keys; returns key -> task id.
    func write(_ c: LocalCluster, _ count: Int, tag: String) async throws -> [String: String] {
        var acknowledged: [String: String] = [:]
        for i in 0..<count {
            let key = "\(tag)-\(i)"
            let r = try await c.control.submit(TaskSubmission(kind: "echo", args: ["text": key], key: key))
            acknowledged[key] = r.first?.id
        }
        return acknowledged
    }

    /// Kills `id`, deletes its whole data directory, and starts it again on the same command line.
    /// The node refuses once a peer tells it what it was: usually before it answers, and then
    /// `restart` fails with the node's own reason, which must name the way out.
    func wipeAndRestart(_ c: LocalCluster, _ id: String) async throws {
        if c.launcher.pid(of: c.node(id)) != nil { try await c.control.kill(id) }
        try FileManager.default.removeItem(atPath: c.node(id).dataDir)
        do {
            try await c.control.restart(id)
        } catch let error as OrchestratorError where error.description.hasPrefix("\(id) ended as it started: ") {
            #expect(error.description.contains("run `flotilla replace \(id)`"), "\(error)")
        }
    }

    /// Waits until `id`'s process has exited by itself, and returns the last lines of its log.
    func refusal(_ c: LocalCluster, _ id: String) async throws -> String {
        try await eventually("\(id) to refuse and exit", timeout: .seconds(20)) { c.launcher.pid(of: c.node(id)) == nil }
        return (try? String(contentsOfFile: c.node(id).logFile, encoding: .utf8)).map { String($0.suffix(1500)) } ?? ""
    }

    @Test("a follower whose data dir was wiped refuses to rejoin, and `replace` brings it back as a new incarnation",
          .timeLimit(.minutes(3)))
    func wipedFollowerIsRefusedThenReplaced() async throws {
        try await withCluster(nodes: 3) { c in
            let watch = InvariantWatch(c)
            let leader = try await c.waitForLeader()
            var acknowledged = try await write(c, 20, tag: "before")
            let victim = c.spec.nodes.map(\.id).first { $0 != leader.id }!
            let known = try #require(leader.members.first { $0.id == victim }?.incarnation, "the membership records \(victim)'s incarnation")

            try await wipeAndRestart(c, victim)
            let log = try await refusal(c, victim)
            #expect(log.contains("flotilla replace \(victim)") && log.contains(known), "\(log)")
            let s = await c.view()
            #expect(s.node(victim)?.live == nil, "\(victim) never served as the member it was")

            try await c.control.replace(victim)
            let after = try await c.waitFor("\(victim) to vote again, caught up") { s in
                s.voters.contains(victim) && s.live.count == 3 && Set(s.live.map(\.commit)).count == 1
            }
            let now = try #require(after.leader?.members.first { $0.id == victim }?.incarnation)
            #expect(now != known, "a new incarnation")
            acknowledged.merge(try await write(c, 10, tag: "after")) { a, _ in a }
            try await watch.verdict(acknowledged: acknowledged)
        }
    }

    @Test("with one node down, a wiped node never makes a majority with a node that lacks acknowledged writes",
          .timeLimit(.minutes(3)))
    func wipedNodeNeverVotesWhileAnotherIsDown() async throws {
        try await withCluster(nodes: 3) { c in
            let leader = try await c.waitForLeader()
            let followers = c.spec.nodes.map(\.id).filter { $0 != leader.id }
            let (behind, wiped) = (followers[0], followers[1])
            // `behind` misses these writes: only the leader and `wiped` hold them.
            try await c.control.kill(behind)
            let acknowledged = try await write(c, 15, tag: "held-by-two")
            try await c.control.kill(leader.id)
            try await c.control.restart(behind)
            try await wipeAndRestart(c, wiped)
            let log = try await refusal(c, wiped)
            #expect(log.contains("flotilla replace \(wiped)"), "\(log)")
            // `behind` alone is no majority: nothing is elected until the old leader is back.
            let alone = await c.view()
            #expect(alone.leader == nil, "a leader without the acknowledged writes:\n\(alone.table())")

            try await c.control.restart(leader.id)
            _ = try await c.waitForLeader()
            try await c.control.replace(wiped)
            try await c.waitFor("three voters caught up") { s in
                s.voters.count == 3 && s.live.count == 3 && Set(s.live.map(\.commit)).count == 1
            }
            let monitor = MonitorRun(control: c.control)
            try await monitor.checkTasks(acknowledged: acknowledged)
            let violations = await monitor.violations
            let verdict = await monitor.verdict
            #expect(violations.isEmpty, "\(verdict)")
        }
    }

    @Test("scale +1 after scale -1 starts a fresh node, not the removed member on its old data", .timeLimit(.minutes(3)))
    func removedMemberIsNotRestartedStale() async throws {
        try await withCluster(nodes: 3) { c in
            _ = try await c.waitForLeader()
            let added = try await c.control.scaleUp()
            _ = try await write(c, 5, tag: "four")
            let removed = try await c.control.scaleDown(added)
            #expect(removed == added)
            let dataDir = "\(c.launcher.directory)/\(added)/data"
            #expect(FileManager.default.fileExists(atPath: dataDir), "scale -1 keeps the data dir")
            let again = try await c.control.scaleUp()
            #expect(again == added, "the id is free again")
            let s = try await c.waitFor("\(again) to vote, caught up") { s in
                s.voters.contains(again) && s.live.count == 4 && Set(s.live.map(\.commit)).count == 1
            }
            #expect(s.node(again)?.live?.role.rawValue != "not-a-member")
            let setAside = try FileManager.default.contentsOfDirectory(atPath: c.launcher.directory).filter { $0.hasPrefix("\(added).removed-") }
            #expect(setAside.count == 1, "the removed member's folder is kept aside: \(setAside)")
        }
    }

    /// Started bare (no --peers, no --join), a wiped node skips the founder check; the leader
    /// still dials it as the member it was. The handshake is where it is refused: it never
    /// receives an entry, so it never acknowledges or votes as that member.
    @Test("a wiped node started bare is refused at the peer handshake", .timeLimit(.minutes(5)))
    func wipedNodeStartedBareIsRefusedAtTheHandshake() async throws {
        try await withCluster(nodes: 3) { c in
            let leader = try await c.waitForLeader()
            _ = try await write(c, 5, tag: "before")
            let victim = c.spec.nodes.map(\.id).first { $0 != leader.id }!
            try await c.control.kill(victim)
            try FileManager.default.removeItem(atPath: c.node(victim).dataDir)
            try c.launcher.start(c.node(victim), spec: c.spec, mode: .uninitialized)
            // Several refused handshakes: the leader keeps dialing it, and keeps refusing it.
            try await eventually("the leader to refuse \(victim)'s handshakes", timeout: .seconds(20)) {
                guard let (status, _, body) = try? await rawRequest("GET", "http://\(leader.adminAddress)/v1/links"), status == 200,
                      let links = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                      let peer = links[victim] as? [String: Any], let refused = peer["refused"] as? Int else { return false }
                return refused >= 3
            }
            let bare = try #require(await c.view().node(victim)?.live, "\(victim) runs and answers")
            #expect(bare.lastIndex == 0 && bare.term == 0, "it received nothing from the leader: \(bare.lastIndex) entries, term \(bare.term)")
            let log = (try? String(contentsOfFile: c.node(leader.id).logFile, encoding: .utf8)) ?? ""
            #expect(log.contains("flotilla replace \(victim)"), "the leader's log says why and what to do")
        }
    }
}
