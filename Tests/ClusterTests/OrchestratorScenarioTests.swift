import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// The scenarios operators care about, driven through the control plane's operations
/// (as the CLI and console drive them), each ending with the invariant monitor's verdict.
@Suite("Orchestrator scenarios", .serialized)
struct OrchestratorScenarioTests {
    @Test func aColdStartOfFiveNodesElectsExactlyOneLeader() async throws {
        try await withCluster(nodes: 5) { c in
            let watch = InvariantWatch(c)
            let leader = try await c.waitForLeader()
            let s = await c.view()
            #expect(s.live.count == 5)
            #expect(s.live.filter { $0.role == .leader }.map(\.id) == [leader.id])
            #expect(s.voters.count == 5 && s.hasQuorum)
            try await watch.verdict()
        }
    }

    @Test func anUninitializedClusterIsBootstrappedAutomatically() async throws {
        try await withCluster(nodes: 3, mode: .uninitialized) { c in
            let watch = InvariantWatch(c)
            // Every node answers, none has a membership, nobody leads.
            try await c.waitFor("three uninitialized nodes") { $0.uninitialized && $0.live.count == 3 }
            let recovery = Recovery(control: c.control, mode: .auto)
            try await eventually("recovery to bootstrap the cluster") {
                let s = await c.view()
                await recovery.step(s)
                return s.leader != nil
            }
            let events = c.control.events.recent.filter { $0.kind == .recovery }.map(\.message)
            #expect(events.contains { $0.contains("uninitialized") })
            #expect(events.contains { $0.hasPrefix("bootstrapped n1,n2,n3") })
            let leader = try await c.waitForLeader()
            #expect(try await c.control.submit(TaskSubmission(kind: "echo", args: ["text": "hi"])).count == 1)
            #expect(await c.view().voters.sorted() == ["n1", "n2", "n3"], "leader \(leader.id)")
            try await watch.verdict()
        }
    }

    @Test func theLeaderIsKilledUnderLoadAndNoAcknowledgedTaskIsLost() async throws {
        try await withCluster(nodes: 3) { c in
            let watch = InvariantWatch(c)
            let leader = try await c.waitForLeader()
            let load = LoadGenerator(control: c.control, rate: 40)
            await load.start()
            try await eventually("20 acknowledged writes") { await load.summary.ok >= 20 }
            try await c.control.kill(leader.id)
            let next = try await c.waitForLeader(timeout: .seconds(15), excluding: leader.id)
            let before = await load.summary.ok
            try await eventually("writes to resume on \(next.id)") { await load.summary.ok >= before + 20 }
            await load.stop()
            try await c.control.restart(leader.id)
            try await c.waitFor("\(leader.id) to rejoin") { $0.node(leader.id)?.live?.leader == next.id }
            try await watch.verdict(acknowledged: await load.acknowledged)
        }
    }

    @Test func aClusterWithOneWipedNodeRefusesItAndRecoversByReplacingIt() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0"]) { c in
            let watch = InvariantWatch(c)
            _ = try await c.waitForLeader()
            let acked = try await c.control.submit(TaskSubmission(kind: "echo", key: "kept"), count: 10)
            // Settle first: a vote the wiped node cast in a term the others never saw would be forgotten
            // with its disk, and could let a second leader win that term (the monitor would say so).
            try await c.waitFor("all three to agree on term, leader and commit") { s in
                s.live.count == 3 && Set(s.live.map { "\($0.term)/\($0.leader ?? "-")/\($0.commit)" }).count == 1
            }
            // Stop everything; one node loses its disk.
            for n in c.spec.nodes { #expect(await c.launcher.stop(n)) }
            let (keeper, wiped, third) = (c.node("n1"), c.node("n2"), c.node("n3"))
            try FileManager.default.removeItem(atPath: wiped.dataDir)
            await watch.run.forget(wiped.id)
            // The node with data and the empty one would be a quorum, with a voter that lost its
            // votes and writes: the empty one asks the keeper, learns the cluster knows another
            // incarnation of it, and refuses to start.
            try c.launcher.start(wiped, spec: c.spec)
            try c.launcher.start(keeper, spec: c.spec)
            try await eventually("\(wiped.id) to refuse and exit", timeout: .seconds(20)) { c.launcher.pid(of: wiped) == nil }
            let log = (try? String(contentsOfFile: wiped.logFile, encoding: .utf8)) ?? ""
            #expect(log.contains("flotilla replace \(wiped.id)"), "\(log.suffix(800))")
            try c.launcher.start(third, spec: c.spec)
            _ = try await c.waitForLeader(timeout: .seconds(20))
            try await c.control.replace(wiped.id)
            try await c.waitFor("all three to agree") { s in s.live.count == 3 && Set(s.live.map(\.commit)).count == 1 }
            let tasks = try await c.control.tasks(limit: 100)
            #expect(tasks.total == 10)
            try await watch.verdict(acknowledged: Dictionary(uniqueKeysWithValues: acked.enumerated().map { ("kept-\($0.offset)", $0.element.id) }))
        }
    }

    @Test func aPartitionedLeaderCannotCommitAndStepsDownQuietlyAfterTheHeal() async throws {
        try await withCluster(nodes: 3) { c in
            let watch = InvariantWatch(c)
            let old = try await c.waitForLeader()
            let plan = try await c.control.isolate("leader")
            #expect(plan.description == "{\(old.id)} | {\(c.spec.nodes.map(\.id).filter { $0 != old.id }.joined(separator: ","))}")
            // The minority cannot commit: its writes time out or are refused, and its commit stays put.
            await #expect(throws: (any Error).self) {
                let _: SubmitResult = try await c.client.call("POST", old.adminAddress, "/v1/tasks",
                                                              body: TaskSubmission(kind: "echo", key: "minority"), timeout: .seconds(8))
            }
            // The majority elects a leader and commits.
            let new = try await c.waitFor("a leader in the majority") { s in
                s.leader.map { $0.id != old.id && $0.term > old.term } ?? false
            }.leader!
            let r: SubmitResult = try await c.client.call("POST", new.adminAddress, "/v1/tasks", body: TaskSubmission(kind: "echo", key: "majority"))
            let isolated = try #require(await c.view().node(old.id)?.live)
            #expect(isolated.commit < new.commit + 1 && isolated.role != .leader)
            #expect(isolated.term == old.term, "pre-vote kept the isolated node's term")
            // Heal: the old leader follows without disturbing the new one.
            let report = await c.control.heal(timeout: .seconds(10))
            #expect(report.complete, "\(report.summary)")
            let healed = try await c.waitFor("\(old.id) to follow \(new.id) and the logs to converge") { s in
                guard let o = s.node(old.id)?.live, let l = s.leader else { return false }
                return o.leader == l.id && o.commit == l.commit && o.commitHash == l.commitHash
            }
            #expect(healed.leader?.id == new.id)
            #expect(healed.leader?.term == new.term, "the heal did not force an election")
            let tasks = try await c.control.tasks()
            #expect(tasks.tasks.map(\.key).contains("majority"))
            try await watch.verdict(acknowledged: ["majority": r.id])
        }
    }

    @Test func rapidLeaderChurnLeavesNoOrphanedOrDuplicatedTask() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "2"]) { c in
            let watch = InvariantWatch(c)
            _ = try await c.waitForLeader()
            let load = LoadGenerator(control: c.control, rate: 20, submission: TaskSubmission(kind: "sleep", args: ["ms": "100"]))
            await load.start()
            for round in 1...3 {
                try await eventually("writes acknowledged before round \(round)") { await load.summary.ok >= 5 * round }
                let leader = try await c.waitForLeader()
                try await c.control.kill(leader.id)
                _ = try await c.waitForLeader(timeout: .seconds(15), excluding: leader.id)
                try await c.control.restart(leader.id)
                // The monitor reads the task table between rounds: epochs must only grow.
                if let tasks = try? await c.control.allTasks() { await watch.run.observeTasks(tasks) }
            }
            await load.stop()
            let acked = await load.acknowledged
            #expect(acked.count >= 10)
            // No orphan: every task finishes, wherever it was running when its node died.
            do {
                try await eventually("every task to finish", timeout: .seconds(40)) {
                    guard let s = try? await c.control.tasks(limit: 10_000) else { return false }
                    return s.tasks.allSatisfy { [.succeeded, .failed].contains($0.state) }
                }
            } catch {
                let open = try await c.control.tasks(limit: 10_000).tasks.filter { ![.succeeded, .failed].contains($0.state) }
                Issue.record("unfinished: \(open.prefix(5).map { "\($0.id) \($0.state) on \($0.node ?? "-") epoch \($0.epoch) attempts \($0.attempts)" })\n\(c.logs())")
                throw error
            }
            let final = try await c.control.tasks(limit: 10_000)
            #expect(final.tasks.filter { $0.state == .succeeded }.count == final.total)
            try await watch.verdict(acknowledged: acked)
        }
    }

    @Test func leadershipTransfersToANamedNode() async throws {
        try await withCluster(nodes: 3) { c in
            let watch = InvariantWatch(c)
            let old = try await c.waitForLeader()
            let target = c.spec.nodes.map(\.id).filter { $0 != old.id }.last!
            #expect(try await c.control.transfer(to: target) == target)
            let s = try await c.waitFor("everyone to follow \(target)") { s in s.live.allSatisfy { $0.leader == target } }
            #expect(s.leader?.id == target)
            await #expect(throws: OrchestratorError.self) { try await c.control.transfer(to: "n9") }
            try await watch.verdict()
        }
    }

    @Test func scalingThreeToFiveToThreeUnderLoadNeverLosesQuorum() async throws {
        try await withCluster(nodes: 3) { c in
            let watch = InvariantWatch(c)
            _ = try await c.waitForLeader()
            let sampler = QuorumSampler(c.cluster)
            let load = LoadGenerator(control: c.control, rate: 20)
            await load.start()
            #expect(try await c.control.scale(to: 5).count == 2)
            #expect(await c.view().voters.count == 5)
            #expect(try await c.control.scale(to: 3).count == 2)
            await load.stop()
            let lost = await sampler.stop()
            #expect(lost.samples > 3)
            #expect(lost.withoutQuorum == 0, "snapshots without a quorum: \(lost.withoutQuorum) of \(lost.samples); the first:\n\(lost.first)")
            let s = await c.view()
            #expect(s.voters.count == 3 && s.members.count == 3)
            #expect(try c.launcher.load().nodes.count == 3, "removed nodes leave cluster.json")
            try await watch.verdict(acknowledged: await load.acknowledged)
        }
    }

    @Test func aNodeKilledDuringScaleUpLeavesTheClusterServing() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0", "--snapshot-every", "50"]) { c in
            let watch = InvariantWatch(c)
            _ = try await c.waitForLeader()
            _ = try await c.control.submit(TaskSubmission(kind: "echo", key: "before"), count: 100)
            // The founders drop every frame to and from the newcomer, so it joins (the admin API is
            // never filtered) but cannot catch up: it is a learner, deterministically, when it dies.
            for m in c.members {
                let _: FaultSpec = try await c.client.call("PUT", m.admin, "/v1/faults", body: FaultSpec(drop: ["n4"]))
            }
            let scaling = Task { try await c.control.scaleUp(timeout: .seconds(8)) }
            try await c.waitFor("n4 to join as a learner") { $0.learners.contains("n4") }
            try await c.control.kill("n4")
            await #expect(throws: (any Error).self) { try await scaling.value }
            let healed = await c.control.heal()
            #expect(healed.dirty.isEmpty && healed.unreachable.isEmpty, "\(healed.summary)")
            let s = try await c.waitFor("a leader") { $0.leader != nil }
            #expect(s.voters.sorted() == ["n1", "n2", "n3"], "the dead learner never became a voter")
            _ = try await c.control.submit(TaskSubmission(kind: "echo", key: "after"))
            // The operator cleans up: the learner goes away.
            #expect(try await c.control.scaleDown("n4") == "n4")
            #expect(await c.view().members.map(\.id).sorted() == ["n1", "n2", "n3"])
            try await watch.verdict()
        }
    }

    @Test func aPausedLeaderIsReplacedAndFollowsAfterItResumes() async throws {
        try await withCluster(nodes: 3) { c in
            let watch = InvariantWatch(c)
            let old = try await c.waitForLeader()
            try await c.control.pause(old.id)
            #expect(await c.view().node(old.id)?.process == .paused)
            let new = try await c.waitFor("a new leader") { s in s.leader.map { $0.id != old.id } ?? false }.leader!
            let r = try await c.control.submit(TaskSubmission(kind: "echo", key: "while-paused"))
            try await c.control.resume(old.id)
            try await c.waitFor("\(old.id) to follow again") { s in
                guard let o = s.node(old.id)?.live, let l = s.leader else { return false }
                return o.role == .follower && o.leader == l.id && o.applied >= l.commit
            }
            #expect(await c.view().leader?.term ?? 0 >= new.term)
            try await watch.verdict(acknowledged: ["while-paused": r[0].id])
        }
    }
}

/// Samples whether the cluster has a quorum of voters up, until stopped.
actor QuorumSampler {
    var samples = 0
    var withoutQuorum = 0
    var task: Task<Void, Never>?

    init(_ cluster: ClusterClient) {
        Task { await self.begin(cluster) }
    }

    func begin(_ cluster: ClusterClient) {
        task = Task {
            while !Task.isCancelled {
                self.record(await cluster.poll())
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Whether enough voters run to form a quorum. A voter counts while its process runs, even
    /// when one poll of it is slow on a busy machine: what scaling must never do is stop or
    /// remove voters so that fewer than a quorum remain.
    static func hasQuorum(_ s: ClusterSnapshot) -> Bool {
        let running = s.voters.filter { id in s.node(id).map { $0.process == .running || ($0.process == nil && $0.up) } ?? false }
        return !s.voters.isEmpty && running.count >= s.quorum
    }

    /// The first snapshot without a quorum, to say what was missing.
    var firstWithout: String?

    func record(_ s: ClusterSnapshot) {
        // A poll in which no node answered in time (a busy machine) names no voters: it says
        // nothing about the quorum while the processes still run. It counts only when none does.
        if s.voters.isEmpty, s.nodes.contains(where: { $0.process == .running }) { return }
        samples += 1
        if !QuorumSampler.hasQuorum(s) {
            withoutQuorum += 1
            firstWithout = firstWithout ?? "voters \(s.voters), quorum \(s.quorum):\n\(s.table())"
        }
    }

    func stop() async -> (samples: Int, withoutQuorum: Int, first: String) {
        task?.cancel()
        await task?.value
        return (samples, withoutQuorum, firstWithout ?? "")
    }
}
