import FlotillaAPI
import Foundation
import HistoryCheck
import Testing
import TestSupport
@testable import Orchestrator

/// Real etcd members on 127.0.0.1 (free ports, a temporary directory each), driven through
/// `EtcdEngine`. One cluster at a time: each has three members, and the machine has few cores.
@Suite("etcd as an engine, on real members", .serialized,
       .enabled(if: EtcdLocalCluster.etcdOnPath() != nil, "etcd is not on PATH (Debian: apt-get install etcd-server; CI installs it)"))
struct EtcdClusterTests {
    /// Starts a cluster, runs `body`, and stops every member afterwards, whether `body` returned
    /// or threw; the synchronous kill in `defer` is the last line should anything above it fail.
    func withEtcd(members: Int = 3, _ body: (EtcdEngine) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let engine = try await EtcdEngine.launch(members: members, in: directory, within: .seconds(20))
        defer { engine.local?.killAllNow() }
        do {
            try await body(engine)
        } catch {
            await engine.tearDown(removing: false)
            throw error
        }
        await engine.tearDown(removing: false)
    }

    @Test func threeMembersAgreeOnOneLeader() async throws {
        try await withHangGuard(.seconds(60)) {
            try await withEtcd { etcd in
                let (s, ok) = await etcd.wait(for: .seconds(10)) { s in
                    s.live.count == 3 && s.live.allSatisfy { $0.leader != nil && $0.leader == s.leader?.id }
                }
                #expect(ok, "\(s.report())")
                #expect(s.nodes.filter { $0.live?.role == .leader }.count == 1)
                #expect(s.voters.sorted() == ["e1", "e2", "e3"] && s.learners.isEmpty)
                #expect(s.nodes.allSatisfy { $0.process == .running })
                #expect(s.leader?.peers.allSatisfy { $0.status == "healthy" } == true, "the leader's /metrics shows both peers: \(s.report())")
            }
        }
    }

    @Test func killingTheLeaderElectsAnotherAndTheRestartedOneFollows() async throws {
        try await withHangGuard(.seconds(60)) {
            try await withEtcd { etcd in
                let before = try #require(await etcd.snapshot().leader)
                try await etcd.kill(before.id)
                let (after, elected) = await etcd.wait(for: .seconds(10)) { s in
                    guard let l = s.leader else { return false }
                    return l.id != before.id && l.term > before.term
                }
                #expect(elected, "a new leader within 10 s: \(after.report())")
                let dead = try #require(after.node(before.id))
                #expect(!dead.up && dead.process == .stopped && dead.status?.role == .leader, "down, not dropped, with its last status")

                try etcd.restart(before.id)
                let (back, rejoined) = await etcd.wait(for: .seconds(10)) { s in
                    s.node(before.id)?.live?.role == .follower && s.node(before.id)?.live?.leader == s.leader?.id
                }
                #expect(rejoined, "the restarted member follows: \(back.report())")
            }
        }
    }

    @Test func leadershipGoesToTheNamedMember() async throws {
        try await withHangGuard(.seconds(60)) {
            try await withEtcd { etcd in
                let s = await etcd.snapshot()
                let leader = try #require(s.leader)
                let target = try #require(s.voters.sorted().first { $0 != leader.id })
                try await etcd.transfer(to: target)
                let (after, moved) = await etcd.wait(for: .seconds(5)) { $0.leader?.id == target }
                #expect(moved, "leadership at \(target) within 5 s: \(after.report())")
            }
        }
    }

    @Test func scaleThreeToFourThroughALearnerAndBackToThree() async throws {
        try await withHangGuard(.seconds(90)) {
            try await withEtcd { etcd in
                let name = try await etcd.addLearner()
                #expect(name == "e4")
                let (learning, seen) = await etcd.wait(for: .seconds(10)) { $0.node(name)?.live?.role == .learner }
                #expect(seen, "e4 answers as a learner: \(learning.report())")
                #expect(learning.learners == [name] && learning.voters.count == 3, "a learner has no vote")

                try await etcd.promote(name, within: .seconds(20))
                let (four, promoted) = await etcd.wait(for: .seconds(10)) { $0.voters.count == 4 && $0.node(name)?.live?.role == .follower }
                #expect(promoted, "four voters: \(four.report())")

                // Scale down by the leader itself: leadership moves away first, then it leaves and exits.
                let leader = try #require(four.leader?.id)
                try await etcd.remove(leader)
                let (three, removed) = await etcd.wait(for: .seconds(10)) { s in
                    s.voters.count == 3 && !s.voters.contains(leader) && s.leader != nil && s.node(leader) == nil
                }
                #expect(removed, "three voters without \(leader): \(three.report())")
                let spec = try #require(try etcd.local?.load())
                #expect(!spec.members.contains { $0.name == leader }, "the removed member left etcd.json")
            }
        }
    }

    @Test func linearizableLoadAcrossALeaderKillPassesTheChecker() async throws {
        try await withHangGuard(.seconds(90)) {
            try await withEtcd { etcd in
                let spec = try #require(try etcd.local?.load())
                let workload = EtcdWorkload(keys: 3, clients: 4, reads: .linearizable)
                async let load = workload.run(etcd.client, endpoints: spec.members.map(\.clientAddress), for: .seconds(5))
                try await Task.sleep(for: .milliseconds(1500))  // part of the load runs before the fault
                let leader = try #require(await etcd.snapshot().leader)
                try await etcd.kill(leader.id)
                let history = await load
                let (after, elected) = await etcd.wait(for: .seconds(10)) { $0.leader.map { $0.id != leader.id } ?? false }
                #expect(elected, "\(after.report())")

                let puts = history.filter { if case .put = $0.kind { $0.outcome == .ok } else { false } }
                let gets = history.filter { if case .get = $0.kind { $0.outcome == .ok } else { false } }
                #expect(puts.count >= 20 && gets.count >= 20, "\(puts.count) puts and \(gets.count) gets confirmed")
                let lastKill = Int64(1_500_000_000)
                #expect(puts.contains { $0.call > lastKill + 1_000_000_000 }, "writes went on after the kill")
                let verdict = EtcdWorkload.check(history, within: .seconds(20))
                #expect(verdict == .linearizable, "\(ClientHistory.summary(verdict, operations: history.count))")
            }
        }
    }
}
