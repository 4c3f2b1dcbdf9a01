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

    @Test func aClusterReachedByOneAddressShowsEveryMember() async throws {
        try await withHangGuard(.seconds(60)) {
            try await withEtcd { etcd in
                let spec = try #require(try etcd.local?.load())
                let connected = EtcdEngine(connect: [spec.members[0].clientAddress])
                let (s, ok) = await connected.wait(for: .seconds(10)) { s in
                    s.nodes.map(\.id).sorted() == ["e1", "e2", "e3"] && s.live.count == 3 && s.leader != nil
                }
                await connected.shutdown()
                #expect(ok, "the member list names the other two: \(s.report())")
                #expect(s.nodes.allSatisfy { $0.process == nil }, "no process state for members Flotilla did not launch")
                await #expect(throws: OrchestratorError.self) { try await connected.kill("e1") }
                let o = await etcd.observe()
                #expect(o.reachability.count == 3 && o.reachability.values.allSatisfy { $0.count == 2 },
                        "each member lists its two peers: \(o.reachability)")
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

                try await etcd.restart(before.id)
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

    /// The console's `load on` and panic on etcd, through the same `CommandPerformer` as on
    /// Flotilla's nodes: puts and linearizable range reads of the load's keys go on across a
    /// leader kill, the history passes the same checker, and panic stops the load and resumes a
    /// paused member.
    /// With more keys than a read's page, a read sees the newest-created keys and vouches for
    /// those from its oldest one on: it counts as a read, not a partial one, and the checker
    /// holds a key it missed inside that scope against it.
    @Test func readsOfMoreKeysThanAPageAreScopedToTheNewest() async throws {
        try await withHangGuard(.seconds(90)) {
            try await withEtcd { etcd in
                let l = LoadGenerator(client: EtcdLoadClient(engine: etcd), rate: 100, readLimit: 5)
                let session = await l.session
                for i in 1...12 {
                    await l.submitOne("load-\(session)-\(i)")
                    if i % 3 == 0 { await l.readOne("read-\(session)-r\(i)") }
                }
                let ops = await l.history
                let writes = ops.filter { !$0.isRead }, reads = ops.filter(\.isRead)
                let positions = writes.compactMap(\.position)
                #expect(writes.allSatisfy { $0.outcome == .ok } && positions.count == 12 && positions == positions.sorted(),
                        "each put placed at its create revision, in order: \(positions)")
                #expect(reads.count == 4 && reads.allSatisfy { $0.outcome == .ok }, "\(reads)")
                let last = try #require(reads.last)
                #expect(last.from == positions[7] && last.seen == (8...12).map { "load-\(session)-\($0)" }.sorted(),
                        "the newest five keys, vouched for from the fifth newest: \(last)")
                #expect(reads.first?.from == nil, "three keys fit one page: a read of them all")
                let lines = ClientHistory.lines(ops)
                #expect(ClientHistory.check(ClientHistory.history(lines), within: .seconds(5)) == .linearizable)

                // The same last read, had it missed the newest key, or a key from before its scope.
                var missedNewest = lines, missedOld = lines
                missedNewest[missedNewest.count - 1].seen = last.seen?.filter { $0 != "load-\(session)-12" }
                missedOld[missedOld.count - 1].from = positions[8]
                missedOld[missedOld.count - 1].seen = last.seen?.filter { $0 != "load-\(session)-8" }
                #expect(ClientHistory.check(ClientHistory.history(missedNewest), within: .seconds(5)) != .linearizable)
                #expect(ClientHistory.check(ClientHistory.history(missedOld), within: .seconds(5)) == .linearizable)
            }
        }
    }

    @Test func theLoadVerbAndPanicWorkOnEtcdThroughTheSamePerformer() async throws {
        try await withHangGuard(.seconds(90)) {
            try await withEtcd { etcd in
                let performer = CommandPerformer(engine: etcd)
                let on = try await performer.perform(.load(plan: LoadPlan(rate: 40, kind: "sleep", readEvery: 4)))
                #expect("\(on)".contains("30 puts/s + 10 reads/s"), "etcd takes each write as a put: \(on)")
                let load = try #require(await performer.loads.current)
                try await eventually("the load's writes and reads are answered", timeout: .seconds(15)) {
                    let s = await load.summary
                    return s.ok >= 20 && s.readsOK >= 5
                }
                let leader = try #require(await etcd.snapshot().leader)
                try await performer.perform(.kill(node: leader.id))
                let acked = await load.summary.ok
                try await eventually("writes go on after the kill", timeout: .seconds(15)) { await load.summary.ok >= acked + 20 }
                let follower = try #require(await etcd.snapshot().live.first { $0.role == .follower })
                try await performer.perform(.pause(node: follower.id))
                let outcome = try await performer.perform(.panic)
                guard case .healed = outcome else { Issue.record("panic answered \(outcome)"); return }
                #expect(await !load.active, "panic stopped the load")
                let (after, resumed) = await etcd.wait(for: .seconds(10)) { $0.node(follower.id)?.process == .running && $0.node(follower.id)?.up == true }
                #expect(resumed, "panic resumed \(follower.id): \(after.report())")

                let ops = await load.history
                let summary = await load.summary
                #expect(summary.readsOK >= 5 && ops.contains { $0.isRead && ($0.seen?.count ?? 0) >= 10 }, "reads saw the load's keys: \(summary.lines)")
                let verdict = ClientHistory.check(ClientHistory.history(ClientHistory.lines(ops)), within: .seconds(20))
                #expect(verdict == .linearizable, "\(ClientHistory.summary(verdict, operations: ops.count))")
            }
        }
    }

    /// Recovery on etcd, through the same analyzers as on Flotilla's nodes: a member that dies
    /// without an operator's kill is started again in auto mode; one the operator killed is left
    /// stopped, and nothing is said of it.
    @Test func recoveryRestartsAMemberThatDiedOnItsOwnAndLeavesTheOperatorsKillAlone() async throws {
        try await withHangGuard(.seconds(90)) {
            try await withEtcd { etcd in
                let local = try #require(etcd.local)
                let spec = try local.load()
                let recovery = Recovery(host: etcd, mode: .auto, analyzer: RecoveryAnalyzer(electionMs: 1000))
                try await etcd.kill("e3")
                let e2 = try #require(spec.member("e2"))
                let pid = try #require(local.pid(of: e2))
                #expect(Glibc.kill(pid, SIGKILL) == 0, "e2 dies on its own")
                try await eventually("recovery starts e2 again", timeout: .seconds(30)) {
                    await recovery.step(await etcd.snapshot())
                    let s = await etcd.snapshot()
                    return s.node("e2")?.up == true && local.pid(of: e2) != pid
                }
                let said = etcd.events.recent.map(\.message)
                #expect(said.contains { $0.hasPrefix("restarted e2 (pid ") }, "\(said)")
                #expect(!said.contains { $0.contains("restarted e3") || $0.contains("e3 died") }, "\(said)")
                #expect(local.pid(of: try #require(spec.member("e3"))) == nil, "the operator's kill stands")
                #expect(etcd.intents.current.stopped == ["e3"])
            }
        }
    }

    /// One get of `key` from a follower that was paused while the leader committed a newer value:
    /// the get is written into the paused member's socket, then the member resumes. Returns the
    /// history (the old put, the new put, the get) and the value the get returned.
    func getAfterPause(_ etcd: EtcdEngine, key: String, serializable: Bool) async throws -> (history: [HistoryOperation], value: String?) {
        let s = await etcd.snapshot()
        let leader = try #require(s.leader)
        let follower = try #require(s.live.first { $0.role == .follower })
        let clock = ContinuousClock(), origin = clock.now
        let ns = { (t: ContinuousClock.Instant) -> Int64 in
            let d = t - origin
            return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
        }
        var history: [HistoryOperation] = []
        var call = clock.now
        try await etcd.client.put(leader.adminAddress, key: key, value: "old")
        history.append(HistoryOperation(client: 1, call: ns(call), ret: ns(clock.now), kind: .put(key: key, value: "old")))
        try await eventually("\(follower.id) holds the old value", timeout: .seconds(5)) {
            (try? await etcd.client.get(follower.adminAddress, key: key, serializable: true)) == "old"
        }
        try await etcd.pause(follower.id)
        // A backlog for the follower to apply when it resumes, then the new value.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<8 {
                group.addTask { for i in 0..<25 { try await etcd.client.put(leader.adminAddress, key: "\(key)-backlog-\(c)", value: "\(i)") } }
            }
            try await group.waitForAll()
        }
        call = clock.now
        try await etcd.client.put(leader.adminAddress, key: key, value: "new")
        history.append(HistoryOperation(client: 1, call: ns(call), ret: ns(clock.now), kind: .put(key: key, value: "new")))

        call = clock.now
        let json = #"{"key":"\#(Data(key.utf8).base64EncodedString())","serializable":\#(serializable)}"#
        let pending = try PendingRequest(follower.adminAddress, path: "/v3/kv/range", json: json)
        try await etcd.resume(follower.id)
        let body = try #require(try await offThePool { pending.body(within: .seconds(5)) }, "\(follower.id) answered within 5 s")
        let ret = clock.now
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], "\(body)")
        let encoded = (reply["kvs"] as? [[String: Any]])?.first?["value"] as? String
        let value = encoded.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
        history.append(HistoryOperation(client: 2, call: ns(call), ret: ns(ret), kind: .get(key: key, value: value)))
        return (history, value)
    }

    @Test func aStaleSerializableGetFromAResumedFollowerIsCaughtALinearizableOneIsNot() async throws {
        try await withHangGuard(.seconds(90)) {
            try await withEtcd { etcd in
                // The serializable get answers from the follower's own copy, racing its catch-up:
                // usually stale, so a few tries are allowed; every answer must get the right verdict.
                var stale = 0
                for attempt in 1...5 where stale == 0 {
                    let (history, value) = try await getAfterPause(etcd, key: "serializable-\(attempt)", serializable: true)
                    let verdict = EtcdWorkload.check(history)
                    if value == "old" {
                        stale += 1
                        #expect(verdict.failingGet == history[2], "the stale get is the one that fails: \(verdict)")
                    } else {
                        #expect(value == "new" && verdict == .linearizable, "\(value ?? "nil"): \(verdict)")
                    }
                }
                #expect(stale > 0, "five serializable gets from a resumed follower all caught up first")

                let (history, value) = try await getAfterPause(etcd, key: "linearizable", serializable: false)
                #expect(value == "new", "a linearizable get waits until the member is current")
                #expect(EtcdWorkload.check(history) == .linearizable)
            }
        }
    }
}

extension Verdict {
    /// The operation that could not be linearized, when the verdict is a failure.
    var failingGet: HistoryOperation? {
        if case .notLinearizable(let window) = self { window.failingOperation } else { nil }
    }
}
