import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// A partition made by the network, not the fault filter: three nodes in their own network
/// namespaces, one node's frames dropped at the switch by nftables (the root namespace still
/// reaches its admin API). Its TCP connections stay half open (no FIN, no RST, packets just
/// vanish) until the table is deleted.
@Suite("Real network partitions", .serialized)
struct NamespacePartitionTests {
    @Test(.enabled(KernelFaultTests.reason) { await NetworkTool.unavailableReason() == nil }, .timeLimit(.minutes(10)))
    func framesDroppedAtTheSwitchPartitionTheClusterAndTheHealLosesNothing() async throws {
        try await withNetnsCluster { c, lab in
            let client = c.cluster
            let control = c.control
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
                    try await c.waitFor(what, timeout: timeout, condition)
                }
                let first = try await waitFor("a leader") { s in s.leader != nil && s.live.count == 3 }.leader!
                #expect(first.raftAddress.hasPrefix(lab.subnet + "."), "the node binds its namespace's address: \(first.raftAddress)")
                await load.start()
                try await eventually("20 acknowledged writes") { await load.summary.ok >= 20 }

                // 1. The switch drops the leader's frames: the majority elects a leader and keeps committing.
                try await KernelFaults(lab: lab).isolate(first.id)
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

                // The rules go: the old leader follows, its stale connections notwithstanding.
                #expect(try await KernelFaults(lab: lab).heal())
                try await waitFor("\(first.id) to follow \(majority.id) and catch up") { s in
                    guard let o = s.node(first.id)?.live, let l = s.leader else { return false }
                    return o.leader == l.id && o.applied + 20 >= l.commit
                }

                // 2. A follower is cut off and comes back; the leader keeps its quorum throughout.
                let leader = try await waitFor("a settled leader") { AvailabilityTracker.effectiveLeader($0) }.leader!
                let follower = lab.members.first { $0 != leader.id }!
                try await KernelFaults(lab: lab).isolate(follower)
                try await waitFor("the leader to see \(follower) unreachable") { s in
                    s.leader?.peers.first { $0.id == follower }?.status == "unreachable"
                }
                let before = await load.summary.ok
                try await eventually("writes committed without \(follower)") { await load.summary.ok >= before + 10 }
                #expect(try await KernelFaults(lab: lab).heal())

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
                #expect(violations.isEmpty, "\(verdict)\n\(c.logs())")
                #expect(await monitor.checks > 10)
            } catch {
                watcher.cancel()
                await load.stop()
                throw error
            }
        }
    }
}
