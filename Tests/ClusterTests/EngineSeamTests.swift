import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Which engine a seam test runs on.
enum EngineUnderTest: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case flotilla, etcd
    var testDescription: String { rawValue }
}

/// Starts a three-member cluster of `kind` on free 127.0.0.1 ports in a temp dir, hands its
/// engine to `body` and stops every member afterwards. etcd without `etcd` on PATH is recorded
/// as a known gap and skipped.
func withEngine(_ kind: EngineUnderTest, _ body: (any Engine) async throws -> Void) async throws {
    switch kind {
    case .flotilla:
        try await withCluster(nodes: 3) { c in
            _ = try await c.waitForLeader()
            try await body(FlotillaEngine(control: c.control))
        }
    case .etcd:
        guard EtcdLocalCluster.etcdOnPath() != nil else {
            withKnownIssue("etcd is not on PATH (Debian: apt-get install etcd-server)") { throw CancellationError() }
            return
        }
        try await withClusterSlot {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-seam-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let etcd = try await EtcdEngine.launch(members: 3, in: dir, within: .seconds(20))
            defer { etcd.local?.killAllNow() }
            do {
                try await body(etcd)
            } catch {
                await etcd.tearDown(removing: false)
                throw error
            }
            await etcd.tearDown(removing: false)
        }
    }
}

/// The same scenarios through `CommandPerformer` on Flotilla's node and on etcd: one code path,
/// two Raft implementations.
@Suite("One engine seam, two engines", .serialized)
struct EngineSeamTests {
    @Test(arguments: EngineUnderTest.allCases)
    func killingTheLeaderElectsAnother(_ kind: EngineUnderTest) async throws {
        try await withEngine(kind) { engine in
            // The guard starts once a cluster slot is held: waiting for one is not a hang.
            try await withHangGuard(.seconds(90)) {
                let performer = CommandPerformer(engine: engine)
                let (s, led) = await engine.wait(for: .seconds(15)) { $0.leader != nil }
                let old = try #require(s.leader, "a leader first: \(s.report())")
                #expect(led)
                try await performer.perform(.kill(node: old.id))
                let (after, elected) = await engine.wait(for: .seconds(15)) { s in
                    guard let l = s.leader else { return false }
                    return l.id != old.id && l.term > old.term
                }
                #expect(elected, "\(kind): a new leader within 15 s of killing \(old.id): \(after.report())")
                #expect(after.node(old.id)?.up == false, "the killed member is down, not dropped")
            }
        }
    }

    @Test(arguments: EngineUnderTest.allCases)
    func leadershipGoesWhereItIsSent(_ kind: EngineUnderTest) async throws {
        try await withEngine(kind) { engine in
            // The guard starts once a cluster slot is held: waiting for one is not a hang.
            try await withHangGuard(.seconds(90)) {
                let performer = CommandPerformer(engine: engine)
                let (s, _) = await engine.wait(for: .seconds(15)) { s in s.leader != nil && s.live.count == 3 }
                let old = try #require(s.leader)
                let target = try #require(s.voters.sorted(by: <).first { $0 != old.id })
                let outcome = try await performer.perform(.transfer(to: target))
                #expect(outcome == .leader(target), "\(kind): \(outcome.message)")
                let (after, ok) = await engine.wait(for: .seconds(5)) { $0.leader?.id == target }
                #expect(ok, "\(kind): \(target) leads: \(after.report())")
            }
        }
    }

    @Test(arguments: EngineUnderTest.allCases)
    func scaleThreeToFourThroughALearnerAndBack(_ kind: EngineUnderTest) async throws {
        try await withEngine(kind) { engine in
            // The guard starts once a cluster slot is held: waiting for one is not a hang.
            try await withHangGuard(.seconds(150)) {
                let performer = CommandPerformer(engine: engine)
                _ = await engine.wait(for: .seconds(15)) { s in s.leader != nil && s.live.count == 3 }
                let up = try await performer.perform(.scale(change: .add(count: 1), purge: false))
                guard case .scaled(let added, let members) = up else { Issue.record("\(up)"); return }
                #expect(added.count == 1 && members == 4, "\(kind): \(up.message)")
                let new = try #require(added.first)
                let (four, votes) = await engine.wait(for: .seconds(15)) { $0.voters.contains(new) && $0.members.count == 4 }
                #expect(votes, "\(kind): \(new) votes: \(four.report())")

                let down = try await performer.perform(.scale(change: .remove(count: 1), purge: true))
                guard case .scaled(let removed, let left) = down else { Issue.record("\(down)"); return }
                #expect(removed.count == 1 && left == 3, "\(kind): \(down.message)")
                let (three, ok) = await engine.wait(for: .seconds(15)) { s in s.members.count == 3 && s.leader != nil }
                #expect(ok, "\(kind): three members and a leader: \(three.report())")
            }
        }
    }

    /// The engine's workload (Flotilla: task submits and linearizable reads of the table; etcd:
    /// puts and linearizable gets) passes the history check across a leader kill, and the
    /// snapshots polled meanwhile break no invariant.
    @Test(arguments: EngineUnderTest.allCases)
    func theWorkloadStaysLinearizableAcrossALeaderKill(_ kind: EngineUnderTest) async throws {
        try await withEngine(kind) { engine in
            // The guard starts once a cluster slot is held: waiting for one is not a hang.
            try await withHangGuard(.seconds(90)) {
                let (s, _) = await engine.wait(for: .seconds(15)) { s in s.leader != nil && s.live.count == 3 }
                let leader = try #require(s.leader)
                let killer = Task {
                    try await Task.sleep(for: .milliseconds(1500))
                    try await CommandPerformer(engine: engine).perform(.kill(node: leader.id))
                }
                let report = try await EngineCheck.load(engine, for: .seconds(5))
                try await killer.value
                #expect(report.ok, "\(kind): \(report.text)")
                #expect(report.operations > 50 && report.history?.hasPrefix("linearizability: ok") == true, "\(kind): \(report.text)")
                #expect(report.checks > 5, "\(kind): snapshots judged while it ran: \(report.checks)")
            }
        }
    }

    /// Panic through the same performer on both engines: a paused member runs and answers again,
    /// recovery is advise, and (on Flotilla's node, whose heal works on loopback) the heal is complete.
    @Test(arguments: EngineUnderTest.allCases)
    func panicResumesAPausedMemberAndSetsRecoveryToAdvise(_ kind: EngineUnderTest) async throws {
        try await withEngine(kind) { engine in
            try await withHangGuard(.seconds(90)) {
                let performer = CommandPerformer(engine: engine)
                let (s, _) = await engine.wait(for: .seconds(15)) { $0.leader != nil && $0.live.count == 3 }
                let leader = try #require(s.leader, "a leader first: \(s.report())")
                let follower = try #require(s.live.map(\.id).sorted().first { $0 != leader.id })
                try await performer.perform(.pause(node: follower))
                let outcome = try await performer.perform(.panic)
                guard case .healed(let report) = outcome else { Issue.record("\(kind): panic answered \(outcome)"); return }
                if kind == .flotilla { #expect(report.complete, "\(report.summary)") }
                #expect(engine.intents.current.recover == RecoveryMode.advise.rawValue, "\(kind): recovery is advise")
                #expect(engine.intents.current.paused.isEmpty, "\(kind)")
                let (after, resumed) = await engine.wait(for: .seconds(10)) { $0.node(follower)?.process == .running && $0.node(follower)?.up == true }
                #expect(resumed, "\(kind): panic resumed \(follower): \(after.report())")
            }
        }
    }

    /// What an engine cannot take is refused with its reason before anything is done: network
    /// faults on etcd outside a namespace lab (with the flag that gives one).
    @Test func etcdRefusesLinkFaultsWithAReason() async throws {
        let etcd = EtcdEngine(connect: ["127.0.0.1:9"])
        let performer = CommandPerformer(engine: etcd)
        for command in [OperatorCommand.partition(shape: .isolate(node: "leader")), .heal, .kill(node: "e1"), .submit(order: TaskOrder(kind: "echo"))] {
            await #expect(throws: OrchestratorError.self, "\(command)") { try await performer.perform(command) }
            #expect(etcd.refusal(command) != nil, "\(command)")
        }
        #expect(etcd.refusal(.partition(shape: .isolate(node: "leader")))?.contains("--net netns") == true, "the refusal says what to do")
        #expect(etcd.events.recent.filter { !$0.ok }.count == 4, "each refusal is an action event that failed")
        #expect(etcd.supports(.transfer(to: nil)) && etcd.supports(.scale(change: .removeNode(id: "e2"), purge: false)))
        // Kernel delay, reordering and mending a cut need the lab's switch too; duplicate needs netem.
        for command in [OperatorCommand.delay(links: .all, delay: TimeSpan(milliseconds: 50), jitter: TimeSpan(milliseconds: 0)),
                        .reorder(links: .all, share: Share(fraction: 0.2)), .mend(links: .bothWays("e1", "e2"))] {
            #expect(etcd.refusal(command)?.contains("--net netns") == true, "\(command): \(etcd.refusal(command) ?? "taken")")
        }
        #expect(etcd.refusal(.duplicate(links: .all, share: Share(fraction: 0.1)))?.contains("netem") == true)
        await etcd.shutdown()
    }
}
