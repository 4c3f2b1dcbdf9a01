import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// A partition made by the network, not the fault filter: three nodes in their own network
/// namespaces, one node's link taken down at the switch. Its TCP connections stay half open
/// (no FIN, no RST, packets just vanish) until the link comes back.
@Suite("Real network partitions", .serialized)
struct NamespacePartitionTests {
    @Test(.enabled("needs iproute2 and the right to create network namespaces (root, or CAP_NET_ADMIN); .ci/run installs iproute2") { await NamespaceLab.available() }, .timeLimit(.minutes(10)))
    func aLinkDownPartitionsTheClusterAndTheHealLosesNothing() async throws {
        try await withNamespaceLab(nodes: 3) { lab in
            for i in 1...lab.count { try lab.start(i) }
            let client = ClusterClient(members: lab.members, admin: AdminClient(token: lab.token))
            let control = ClusterControl(client: client)
            let monitor = MonitorRun(control: control)
            let watcher = Task {
                while !Task.isCancelled {
                    await monitor.observe(await client.poll())
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            let load = LoadGenerator(control: control, rate: 20)
            do {
                @discardableResult
                func waitFor(_ what: String, timeout: Duration = .seconds(20), _ condition: (ClusterSnapshot) -> Bool) async throws -> ClusterSnapshot {
                    let deadline = ContinuousClock.now + timeout
                    var s = await client.poll()
                    while !condition(s) {
                        guard ContinuousClock.now < deadline else {
                            Issue.record("timed out waiting for \(what); last view:\n\(s.table())\n\(lab.logs())")
                            throw CancellationError()
                        }
                        try await Task.sleep(for: .milliseconds(50))
                        s = await client.poll()
                    }
                    return s
                }
                let first = try await waitFor("a leader") { s in s.leader != nil && s.live.count == 3 }.leader!
                #expect(first.raftAddress.hasPrefix("10.\(lab.octet).0."), "the node binds its namespace's address: \(first.raftAddress)")
                await load.start()
                try await eventually("20 acknowledged writes") { await load.summary.ok >= 20 }

                // 1. The leader's link goes down: the majority elects a leader and keeps committing.
                try await lab.cut(lab.index(of: first.id))
                let majority = try await waitFor("a leader on the majority side") { s in
                    guard let l = s.leader, l.id != first.id, l.term > first.term else { return false }
                    return AvailabilityTracker.effectiveLeader(s)
                }.leader!
                let during = await load.summary.ok
                try await eventually("writes committed by the majority") { await load.summary.ok >= during + 20 }
                // The old leader hears from nobody: check-quorum makes it step down, and it commits nothing.
                let isolated = try await waitFor("\(first.id) to step down") { s in s.node(first.id)?.live.map { $0.role != .leader } ?? false }
                let stuckAt = try #require(isolated.node(first.id)?.live).commit
                await #expect(throws: (any Error).self) {
                    let _: SubmitResult = try await client.admin.call("POST", first.adminAddress, "/v1/tasks",
                                                                      body: TaskSubmission(kind: "echo", key: "minority"), timeout: .seconds(3))
                }
                #expect(await client.poll().node(first.id)?.live?.commit == stuckAt, "the minority commits nothing")

                // The link comes back: the old leader follows, its stale connections notwithstanding.
                try await lab.mend(lab.index(of: first.id))
                try await waitFor("\(first.id) to follow \(majority.id) and catch up") { s in
                    guard let o = s.node(first.id)?.live, let l = s.leader else { return false }
                    return o.leader == l.id && o.applied + 20 >= l.commit
                }

                // 2. A follower's link goes down and comes back; the leader keeps its quorum throughout.
                let leader = try await waitFor("a settled leader") { AvailabilityTracker.effectiveLeader($0) }.leader!
                let follower = lab.ids.first { $0 != leader.id }!
                try await lab.cut(lab.index(of: follower))
                try await waitFor("the leader to see \(follower) unreachable") { s in
                    s.leader?.peers.first { $0.id == follower }?.status == "unreachable"
                }
                let before = await load.summary.ok
                try await eventually("writes committed without \(follower)") { await load.summary.ok >= before + 10 }
                try await lab.mend(lab.index(of: follower))

                await load.stop()
                let settled = try await waitFor("every node to agree on one commit and hash") { s in
                    s.live.count == 3 && s.leader != nil && Set(s.live.map { "\($0.commit)/\($0.commitHash)" }).count == 1
                }
                watcher.cancel()
                await watcher.value
                await monitor.observe(settled)
                await monitor.probeHashes(settled)
                let acked = await load.acknowledged
                #expect(acked.count >= 50)
                try await monitor.checkTasks(acknowledged: acked)
                let violations = await monitor.violations
                let verdict = await monitor.verdict
                #expect(violations.isEmpty, "\(verdict)\n\(lab.logs())")
                #expect(await monitor.checks > 10)
            } catch {
                watcher.cancel()
                await load.stop()
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
    }
}
