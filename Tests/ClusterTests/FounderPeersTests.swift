import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Founders started with different `--peers` would disagree on who writes entry 1 and on what
/// it holds. Nobody founds; every founder says why (its status, its log, `flotilla status`), and
/// the cluster founds once the one that differs is restarted with the same `--peers`.
@Suite("Founders with different --peers", .serialized)
struct FounderPeersTests {
    @Test("n3 started with --peers n2,n3,n4: no cluster forms and every node says why; restarted with the right --peers, it founds",
          .timeLimit(.minutes(3)))
    func foundersThatDisagreeFoundNothingUntilPutRight() async throws {
        let ports = try FreePorts.take(2)
        let n4 = "127.0.0.1:\(ports[0])"
        try await withCluster(nodes: 3, told: { node, spec in
            guard node.id == "n3" else { return spec }
            var other = spec
            other.nodes.removeAll { $0.id == "n1" }
            var stranger = node
            (stranger.id, stranger.raftAddress, stranger.adminAddress) = ("n4", n4, "127.0.0.1:\(ports[1])")
            other.nodes.append(stranger)
            return other
        }) { c in
            let ids = ["n1", "n2", "n3"]
            let why = "start every founder with the same --peers"
            let v = try await c.waitFor("every founder to say the founders' --peers differ", timeout: .seconds(20)) { v in
                ids.allSatisfy { v.node($0)?.live?.founding?.contains(why) == true }
            }
            for id in ids {
                let said = try #require(v.node(id)?.live?.founding)
                #expect(said.contains("n4=\(n4)"), "\(id) names n3's set: \(said)")
                #expect(said.contains("n1=\(c.node("n1").raftAddress)"), "\(id) names the other set: \(said)")
            }
            try await eventually("every founder's log to say why", timeout: .seconds(10)) {
                ids.allSatisfy { id in
                    let log = (try? String(contentsOfFile: c.node(id).logFile, encoding: .utf8)) ?? ""
                    return log.contains("not founding: the founders were started with different --peers") && log.contains(why)
                }
            }
            let status = try await flotilla(["status", "--dir", c.launcher.directory])
            #expect(status.out.contains("n1: not founding: ") && status.out.contains(why), "\(status.out)")

            // Nothing is written while they disagree: for 2 s, every poll shows no leader and no log.
            let until = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < until {
                let now = await c.view()
                #expect(now.leader == nil && ids.allSatisfy { now.node($0)?.live?.lastIndex == 0 }, "\(now.table())")
                try await Task.sleep(for: .milliseconds(200))
            }

            // n3 restarted with the same --peers as the others: the cluster founds, with n1's entry 1.
            #expect(await c.launcher.stop(c.node("n3")))
            try c.launcher.start(c.node("n3"), spec: c.spec, mode: .founder)
            let leader = try await c.waitForLeader(timeout: .seconds(30))
            #expect(leader.members.map(\.id).sorted() == ids, "\(leader.members)")
            let founded = try await c.waitFor("every node to hold the founding membership, no longer founding") { v in
                ids.allSatisfy { v.node($0)?.live.map { $0.members.count == 3 && $0.founding == nil } == true }
            }
            #expect(founded.notes().allSatisfy { !$0.contains("founding") && !$0.contains("founders") }, "\(founded.notes())")
            let events: [NodeEvent] = try await c.client.call("GET", c.node("n1").adminAddress, "/v1/events/recent?limit=1000")
            #expect(events.contains { $0.message.contains("not founding: ") }, "n1 recorded the refusal: \(events.map(\.message))")
            #expect(events.contains { $0.message.contains("founded the cluster") }, "\(events.map(\.message))")
        }
    }
}
