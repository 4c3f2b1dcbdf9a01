import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Disk and clock faults, injected through the admin API by the CLI: each shows its effect on
/// a real cluster, and `heal` clears it.
@Suite(.serialized) struct NodeFaultScenarioTests {
    func heal(_ c: LocalCluster) async throws {
        let heal = try await flotilla(["heal", "--dir", c.launcher.directory, "--timeout", "10s"])
        #expect(heal.code == 0 && heal.out.contains("complete"), "\(heal)")
        try await c.waitFor("every node's faults clean") { s in s.nodes.allSatisfy { $0.live?.faults.isClean == true } }
    }

    @Test func aSlowDiskRaisesCommitLatency() async throws {
        try await withCluster(nodes: 3) { c in
            _ = try await c.waitForLeader()
            let dir = c.launcher.directory
            let before = try await c.commitLatency()

            // Every node's fsync takes 80 ms longer: a commit waits for the leader's and a follower's.
            let slow = try await flotilla(["disk", "all", "slow", "80ms", "--dir", dir])
            #expect(slow.code == 0, "\(slow)")
            let after = try await c.commitLatency()
            // The floor an 80 ms fsync guarantees; not "above before", which a loaded machine made 1.4 s once.
            #expect(after >= .milliseconds(80), "before \(before), after \(after)")
            let status = try await flotilla(["status", "--dir", dir])
            #expect(status.out.contains("n2 faults: fsync +80ms"), "\(status.out)")

            for bad in [["disk", "n9", "full"], ["disk", "n1", "slow", "soon"], ["disk", "n1", "wobbly"], ["disk", "n1", "slow", "11s"]] {
                let r = try await flotilla(bad + ["--dir", dir])
                #expect(r.code == 1 && !r.err.isEmpty, "\(bad): \(r)")
            }
            try await heal(c)
        }
    }

    /// What the tmpfs test in `FullDiskTests` shows with a real full file system, injected here
    /// without mounting anything: the leader stalls, the others elect around it, and after the
    /// heal it stores what it held and catches up, with nothing acknowledged lost.
    @Test func aFullDiskStallsItsNodeUntilHealed() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0"]) { c in
            let watch = InvariantWatch(c)
            let old = try await c.waitForLeader()
            var acknowledged: [String: String] = [:]
            for i in 0..<5 {
                let r = try await c.control.submit(TaskSubmission(kind: "echo", key: "before-\(i)"))
                acknowledged["before-\(i)"] = r.first?.id
            }
            let full = try await flotilla(["disk", "leader", "full", "--dir", c.launcher.directory])
            #expect(full.code == 0, "\(full)")
            // Its next write fails with ENOSPC: it holds that batch and stops taking writes.
            let poke = Task { _ = try? await c.client.call("POST", old.adminAddress, "/v1/tasks", body: TaskSubmission(kind: "echo", key: "poke"), timeout: .seconds(6)) as SubmitResult }
            let stalled = try await c.waitFor("\(old.id) to report its full disk") { $0.node(old.id)?.live?.storageError != nil }
            #expect(stalled.node(old.id)?.live?.storageError?.contains("No space left on device") == true)
            let v = try await c.waitFor("the others to elect a leader", timeout: .seconds(30)) { v in
                guard let l = v.leader, l.id != old.id else { return false }
                return v.live.filter { $0.id != old.id }.allSatisfy { $0.leader == l.id }
            }
            let other = try #require(v.leader)
            for i in 0..<5 {
                let r: SubmitResult = try await c.client.call("POST", other.adminAddress, "/v1/tasks", body: TaskSubmission(kind: "echo", key: "during-\(i)"))
                acknowledged["during-\(i)"] = r.id
            }
            _ = await poke.value
            try await heal(c)
            try await c.waitFor("\(old.id) to take writes again and catch up", timeout: .seconds(30)) { v in
                guard let n = v.node(old.id)?.live, let l = v.leader else { return false }
                return n.storageError == nil && n.applied >= l.commit
            }
            try await watch.verdict(acknowledged: acknowledged)
        }
    }

    /// A fast clock times a follower out early: it campaigns again and again, yet pre-vote and
    /// the others' leases keep the leader and the term. A slow clock on the leader makes its
    /// heartbeats late: the followers time out and elect another.
    @Test func aSkewedClockTimesOutEarlyOrLate() async throws {
        // Heartbeats every 150 ms against a 300-600 ms timeout: wide enough apart that a 10x
        // clock times out between two heartbeats even when a loaded machine starves its ticker
        // to a fraction of that rate.
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "2", "--heartbeat-ms", "150"]) { c in
            let leader = try await c.waitForLeader()
            let dir = c.launcher.directory
            let fast = try #require(c.members.first { $0.id != leader.id })
            let skew = try await flotilla(["skew", fast.id, "10x", "--dir", dir])
            #expect(skew.code == 0, "\(skew)")

            let deadline = ContinuousClock.now + .seconds(45)
            var campaigns = 0
            while campaigns < 3 {
                try #require(ContinuousClock.now < deadline, "\(fast.id) campaigned \(campaigns) times under a 10x clock")
                let events: [NodeEvent] = try await c.client.call("GET", fast.admin, "/v1/events/recent?limit=1000")
                campaigns = events.filter { $0.kind == "role" && $0.message.contains("became pre-candidate") }.count
                try await Task.sleep(for: .milliseconds(100))
            }
            let during = await c.view()
            #expect(during.leader?.id == leader.id && during.leader?.term == leader.term,
                    "pre-vote kept \(leader.id) in term \(leader.term): \(during.table())")
            let status = try await flotilla(["status", "--dir", dir])
            #expect(status.out.contains("\(fast.id) faults: clock 10x"), "\(status.out)")
            _ = try await flotilla(["skew", fast.id, "1x", "--dir", dir])

            // The leader's clock at a tenth: a heartbeat every 1.5 s against a 300-600 ms timeout.
            let slow = try await flotilla(["skew", "leader", "0.1x", "--dir", dir])
            #expect(slow.code == 0, "\(slow)")
            let after = try await c.waitForLeader(timeout: .seconds(30), excluding: leader.id)
            #expect(after.term > leader.term)
            for bad in [["skew", "n1", "30x"], ["skew", "n1", "fast"], ["skew", "n9", "2x"]] {
                let r = try await flotilla(bad + ["--dir", dir])
                #expect(r.code == 1 && !r.err.isEmpty, "\(bad): \(r)")
            }
            try await heal(c)
        }
    }
}
