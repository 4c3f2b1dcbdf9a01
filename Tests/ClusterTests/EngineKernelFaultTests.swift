import FlotillaAPI
import Foundation
import HistoryCheck
import Orchestrator
import Testing
import TestSupport

/// Runs `body` with a three-member cluster of `kind` whose members are hosts of a new namespace
/// lab (once a cluster slot is free), then stops every member and tears the lab down however
/// the body ends, and expects nothing of the run to be left. etcd without `etcd` on PATH is
/// recorded as a known gap and skipped.
func withEngineInLab(_ kind: EngineUnderTest, _ body: (any Engine, NetnsLab) async throws -> Void) async throws {
    switch kind {
    case .flotilla:
        try await withNetnsCluster { c, lab in
            _ = try await c.waitForLeader()
            try await body(FlotillaEngine(control: c.control), lab)
        }
    case .etcd:
        guard EtcdLocalCluster.etcdOnPath() != nil else {
            withKnownIssue("etcd is not on PATH (Debian: apt-get install etcd-server)") { throw CancellationError() }
            return
        }
        try await withClusterSlot {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-lab-\(UUID().uuidString.prefix(8))").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let lab = try await NetnsLab.plan(members: ["e1", "e2", "e3"])
            try await lab.build()
            let etcd: EtcdEngine
            do {
                etcd = try await EtcdEngine.launch(members: 3, in: dir, network: lab, within: .seconds(20), releaser: LocalCluster.executable)
            } catch {
                try? await lab.teardown()
                throw error
            }
            defer { etcd.local?.killAllNow() }
            do {
                try await body(etcd, lab)
            } catch {
                await etcd.tearDown(removing: false)
                try await lab.teardown()
                throw error
            }
            await etcd.tearDown(removing: false)
            #expect(try await lab.leftovers() == [])
        }
    }
}

/// One client write through `address` (a task submit on Flotilla's node, a put on etcd): true
/// when the cluster acknowledged it.
func write(_ engine: any Engine, through address: String, key: String) async -> Bool {
    if let etcd = engine as? EtcdEngine { return await FailoverWrite.etcd(etcd).send(address, key) }
    guard let flotilla = engine as? FlotillaEngine else { return false }
    return await FailoverWrite.flotilla(flotilla.control).send(address, key)
}

/// The seam's scenarios with the network cut in the kernel: both engines' members are hosts of
/// a namespace lab, and partition and heal are nftables rules set through the same `perform`.
@Suite("One engine seam, kernel network faults", .serialized)
struct EngineKernelFaultTests {
    static let reason: Comment = "needs root (network namespaces, nftables), iproute2 and nft; .ci/run installs both and runs as root"
    static func labUsable() async -> Bool { await NetworkTool.unavailableReason() == nil }

    /// Isolate the leader in its namespace: the majority elects another leader, the isolated
    /// member refuses writes, and the heal leaves one leader without a second election (pre-vote:
    /// the term after the heal is the majority leader's, and stays so).
    @Test(.enabled(reason) { await labUsable() }, .timeLimit(.minutes(3)), arguments: EngineUnderTest.allCases)
    func isolatingTheLeaderInItsNamespaceElectsAnotherAndTheHealHoldsTheTerm(_ kind: EngineUnderTest) async throws {
        try await withEngineInLab(kind) { engine, lab in
            try await withHangGuard(.seconds(90)) {
                let performer = CommandPerformer(engine: engine, healTimeout: .seconds(15))
                let (s, _) = await engine.wait(for: .seconds(15)) { s in s.leader != nil && s.live.count == 3 }
                let old = try #require(s.leader, "a leader first: \(s.report())")
                #expect(old.adminAddress.hasPrefix(lab.subnet + "."), "\(kind): members listen on their hosts' addresses: \(old.adminAddress)")

                let outcome = try await performer.perform(.partition(shape: .isolate(node: old.id)))
                #expect(outcome.message.contains(old.id), "\(kind): \(outcome.message)")
                let rules = try await KernelFaults(lab: lab).rules()
                #expect(rules.count == 4 && rules.allSatisfy { $0.isCut && ($0.from == old.id || $0.to == old.id) }, "\(kind): \(rules)")

                let (elected, ok) = await engine.wait(for: .seconds(20)) { s in
                    let majority = s.live.filter { $0.id != old.id }
                    guard let l = majority.first(where: { $0.role == .leader }), l.term > old.term else { return false }
                    return majority.allSatisfy { $0.leader == l.id }
                }
                #expect(ok, "\(kind): the majority elects a leader: \(elected.report())")
                let majorityLeader = try #require(elected.live.first { $0.id != old.id && $0.role == .leader })

                // The isolated member still answers the root namespace, and takes no write.
                #expect(await !write(engine, through: old.adminAddress, key: "isolated-\(UUID().uuidString)"),
                        "\(kind): a write through the isolated \(old.id) is not acknowledged")
                if let etcd = engine as? EtcdEngine {
                    await #expect(throws: (any Error).self, "a linearizable get through the isolated member") {
                        _ = try await etcd.client.get(old.adminAddress, key: "isolated", timeout: .seconds(3))
                    }
                }

                let heal = try await performer.perform(.heal)
                #expect(heal.ok, "\(kind): \(heal.message)")
                #expect(try await KernelFaults(lab: lab).tableExists() == false, "the table is gone")
                let (settled, one) = await engine.wait(for: .seconds(20)) { s in
                    guard let l = s.leader else { return false }
                    // (A rejoined etcd member reports its old term until the leader's first heartbeat reaches it.)
                    return s.live.count == 3 && s.live.allSatisfy { $0.leader == l.id && $0.term == l.term }
                        && s.live.filter { $0.role == .leader }.count == 1
                }
                #expect(one, "\(kind): one leader all follow after the heal: \(settled.report())")
                #expect(settled.leader?.term == majorityLeader.term,
                        "\(kind): no second election: term \(settled.leader?.term ?? 0), the majority's was \(majorityLeader.term)")
                // Watched for 3 s more: the term stays (the isolated member's pre-votes lost, it did not campaign).
                let quiet = ContinuousClock.now + .seconds(3)
                while ContinuousClock.now < quiet {
                    let s = await engine.snapshot()
                    #expect(s.live.allSatisfy { $0.term == majorityLeader.term }, "\(kind): a term moved after the heal: \(s.report())")
                    if s.live.contains(where: { $0.term != majorityLeader.term }) { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }

    /// The engine's workload (linearizable reads) passes the history check across a leader
    /// isolated by nftables and healed.
    @Test(.enabled(reason) { await labUsable() }, .timeLimit(.minutes(3)), arguments: EngineUnderTest.allCases)
    func theWorkloadStaysLinearizableAcrossAKernelPartition(_ kind: EngineUnderTest) async throws {
        try await withEngineInLab(kind) { engine, lab in
            try await withHangGuard(.seconds(90)) {
                _ = await engine.wait(for: .seconds(15)) { s in s.leader != nil && s.live.count == 3 }
                let performer = CommandPerformer(engine: engine, healTimeout: .seconds(15))
                let breaker = Task {
                    try await Task.sleep(for: .milliseconds(1500))
                    try await performer.perform(.partition(shape: .isolate(node: "leader")))
                    try await Task.sleep(for: .seconds(3))
                    return try await performer.perform(.heal)
                }
                let report = try await EngineCheck.load(engine, for: .seconds(7))
                let healed = try await breaker.value
                #expect(healed.ok, "\(kind): \(healed.message)")
                #expect(report.ok, "\(kind): \(report.text)")
                #expect(report.operations > 50 && report.history?.hasPrefix("linearizability: ok") == true, "\(kind): \(report.text)")
            }
        }
    }

    /// `flotilla status` on a cluster in a lab names the kernel's cuts in its `cut:` line, as the
    /// nodes' own cuts are named there: the status marks the snapshot with one reading of the
    /// run's nftables table, which neither engine's members can report themselves.
    @Test(.enabled(reason) { await labUsable() }, .timeLimit(.minutes(5)), arguments: EngineUnderTest.allCases)
    func aKernelCutShowsInTheStatusCutLine(_ kind: EngineUnderTest) async throws {
        try await withEngineInLab(kind) { engine, lab in
            try await withHangGuard(.seconds(60)) {
                let dir: String
                if let etcd = engine as? EtcdEngine { dir = try #require(etcd.local?.directory) }
                else { dir = try #require((engine as? FlotillaEngine)?.control.client.launcher?.directory) }
                let (s, _) = await engine.wait(for: .seconds(15)) { s in s.leader != nil && s.live.count == 3 }
                let leader = try #require(s.leader)
                let cut = try #require(s.live.map(\.id).sorted().first { $0 != leader.id })
                let performer = CommandPerformer(engine: engine, healTimeout: .seconds(15))
                _ = try await performer.perform(.partition(shape: .isolate(node: cut)))
                #expect(try await KernelFaults(lab: lab).rules().count == 4)

                let status = try await flotilla(["status", "--dir", dir])
                let line = status.out.split(separator: "\n").first { $0.hasPrefix("cut: ") }.map(String.init)
                #expect(line != nil, "\(kind): the status names the kernel's cuts: \(status.out)\n\(status.err)")
                let others = s.nodes.map(\.id).filter { $0 != cut }.sorted()
                #expect(others.allSatisfy { o in line?.contains("\(min(o, cut))<->\(max(o, cut))") == true }, "\(kind): \(line ?? "no cut line")")

                #expect(try await performer.perform(.heal).ok)
                let after = try await flotilla(["status", "--dir", dir])
                #expect(!after.out.split(separator: "\n").contains { $0.hasPrefix("cut: ") }, "\(kind): no cut line after the heal: \(after.out)")
            }
        }
    }

    /// A serializable get through a member cut off by nftables answers from its own copy: the
    /// value from before the cut, after the majority committed a newer one. The checker names
    /// that get; a linearizable get through the same member does not answer at all. The console's
    /// feed shows the cut as the members' drops.
    @Test(.enabled(reason) { await labUsable() }, .timeLimit(.minutes(5)))
    func aSerializableGetThroughAnIsolatedEtcdMemberIsCaughtAsStale() async throws {
        try await withEngineInLab(.etcd) { engine, lab in
            try await withHangGuard(.seconds(60)) {
                let etcd = try #require(engine as? EtcdEngine)
                let (s, _) = await etcd.wait(for: .seconds(15)) { s in s.leader != nil && s.live.count == 3 }
                let leader = try #require(s.leader)
                let cut = try #require(s.live.first { $0.id != leader.id })
                let clock = ContinuousClock(), origin = clock.now
                let ns = { (t: ContinuousClock.Instant) -> Int64 in
                    let d = t - origin
                    return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
                }
                var history: [HistoryOperation] = []
                var call = clock.now
                try await etcd.client.put(leader.adminAddress, key: "register", value: "old")
                history.append(HistoryOperation(client: 1, call: ns(call), ret: ns(clock.now), kind: .put(key: "register", value: "old")))
                try await eventually("\(cut.id) holds the old value", timeout: .seconds(5)) {
                    (try? await etcd.client.get(cut.adminAddress, key: "register", serializable: true)) == "old"
                }
                try await CommandPerformer(engine: etcd).perform(.partition(shape: .isolate(node: cut.id)))
                #expect(try await KernelFaults(lab: lab).rules().count == 4)
                // The console's feed shows the cut as each member's drops (etcd itself cannot report it).
                var feed = etcd.snapshots(every: .milliseconds(200)).makeAsyncIterator()
                let shown = try #require(await feed.next())
                let others = s.nodes.map(\.id).filter { $0 != cut.id }.sorted()
                #expect(shown.node(cut.id)?.live?.faults.drop == others, "\(cut.id) drops what it sends to \(others)")
                #expect(others.allSatisfy { shown.node($0)?.live?.faults.drop == [cut.id] }, "\(shown.nodes.map { ($0.id, $0.live?.faults.drop ?? []) })")
                call = clock.now
                try await etcd.client.put(leader.adminAddress, key: "register", value: "new", timeout: .seconds(5))
                history.append(HistoryOperation(client: 1, call: ns(call), ret: ns(clock.now), kind: .put(key: "register", value: "new")))

                call = clock.now
                let value = try await etcd.client.get(cut.adminAddress, key: "register", serializable: true)
                history.append(HistoryOperation(client: 2, call: ns(call), ret: ns(clock.now), kind: .get(key: "register", value: value)))
                #expect(value == "old", "the cut-off member answers from its own copy")
                let verdict = EtcdWorkload.check(history)
                guard case .notLinearizable(let window) = verdict else {
                    Issue.record("the stale get passed the check: \(verdict)")
                    return
                }
                #expect(window.failingOperation == history[2], "the stale get is the one named: \(verdict)")

                await #expect(throws: (any Error).self, "a linearizable get through the cut-off member does not answer") {
                    _ = try await etcd.client.get(cut.adminAddress, key: "register", timeout: .seconds(3))
                }
                #expect(try await CommandPerformer(engine: etcd, healTimeout: .seconds(15)).perform(.heal).ok)
            }
        }
    }

    /// What the etcd lab made is gone after the helper returns, also when the body throws: no
    /// namespace, link or table with the run's name, no member process left.
    @Test(.enabled(reason) { await labUsable() }, .timeLimit(.minutes(5)))
    func anEtcdLabLeavesNothingOfTheRunWhenTheBodyThrows() async throws {
        guard EtcdLocalCluster.etcdOnPath() != nil else { return }
        struct Planned: Error {}
        var seen: (NetnsLab, [pid_t])?
        do {
            try await withEngineInLab(.etcd) { engine, lab in
                let etcd = try #require(engine as? EtcdEngine)
                try await CommandPerformer(engine: etcd).perform(.partition(shape: .isolate(node: "e1")))
                #expect(try await KernelFaults(lab: lab).tableExists())
                seen = (lab, etcd.pids())
                throw Planned()
            }
            Issue.record("the body's error was swallowed")
        } catch is Planned {
        }
        let (lab, pids) = try #require(seen)
        #expect(pids.count == 3)
        #expect(try await lab.leftovers() == [])
        let namespaces = try await NetworkTool.ip(["netns", "list"])
        let links = try await NetworkTool.ip(["link"])
        let tables = try await NetworkTool.run(NetworkTool.nftPath!, ["list", "tables"])
        for text in [namespaces, links, tables] { #expect(!text.contains(lab.run), "\(text)") }
        #expect(pids.allSatisfy { kill($0, 0) != 0 }, "every member process is gone")
    }

    /// `flotilla up --engine etcd --net netns`: each member a host of the lab; isolate and heal
    /// through the CLI are nftables rules, which `status` lists; scale grows through a learner in a new namespace and
    /// shrinks back; `down --purge` leaves nothing of the run.
    @Test(.enabled(reason) { await labUsable() }, .timeLimit(.minutes(3)))
    func upEtcdWithNetnsBreaksHealsAndScalesInTheLab() async throws {
        guard EtcdLocalCluster.etcdOnPath() != nil else { return }
        try await withClusterSlot {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-netns-\(UUID().uuidString.prefix(8))").path
            let cluster = EtcdLocalCluster(directory: dir, executable: "etcd")
            let up = try await flotilla(["up", "--engine", "etcd", "--net", "netns", "--nodes", "3", "--dir", dir])
            let lab = try? cluster.load().network
            do {
                #expect(up.code == 0, "\(up.out)\(up.err)")
                let lab = try #require(lab, "etcd.json names the lab")
                let spec = try cluster.load()
                #expect(spec.members.allSatisfy { $0.clientAddress.hasPrefix(lab.subnet + ".") && $0.peerAddress.hasPrefix(lab.subnet + ".") })

                let isolate = try await flotilla(["isolate", "leader", "--dir", dir])
                #expect(isolate.code == 0, "\(isolate.out)\(isolate.err)")
                let rules = try await KernelFaults(lab: lab).rules()
                #expect(rules.count == 4 && rules.allSatisfy(\.isCut), "\(rules)")
                let status = try await flotilla(["status", "--dir", dir])
                let cut = try #require(rules.first)
                #expect(status.out.contains("kernel faults (nftables table bridge \(lab.tableName)") && status.out.contains(cut.description),
                        "status lists the table's rules: \(status.out)")
                let heal = try await flotilla(["heal", "--dir", dir, "--timeout", "15s"])
                #expect(heal.code == 0, "\(heal.out)\(heal.err)")
                #expect(try await KernelFaults(lab: lab).tableExists() == false)

                let grow = try await flotilla(["scale", "+1", "--dir", dir])
                #expect(grow.code == 0, "\(grow.out)\(grow.err)")
                let grown = try cluster.load()
                let e4 = try #require(grown.member("e4"), "\(grown.members.map(\.name))")
                #expect(e4.clientAddress.hasPrefix(lab.subnet + "."), "the learner is a host of the lab: \(e4.clientAddress)")
                #expect(try await NetworkTool.ip(["netns", "list"]).contains(lab.namespace(of: "e4")))
                let engine = EtcdEngine(local: cluster)
                let (four, votes) = await engine.wait(for: .seconds(15)) { $0.voters.contains("e4") && $0.live.count == 4 }
                #expect(votes, "e4 was promoted: \(four.report())")
                let shrink = try await flotilla(["scale", "-1", "--dir", dir])
                #expect(shrink.code == 0, "\(shrink.out)\(shrink.err)")
                let (three, ok) = await engine.wait(for: .seconds(15)) { $0.members.count == 3 && $0.leader != nil }
                await engine.shutdown()
                #expect(ok, "back to three: \(three.report())")
            } catch {
                cluster.killAllNow()
                try? await lab?.teardown()
                try? FileManager.default.removeItem(atPath: dir)
                throw error
            }
            let down = try await flotilla(["down", "--dir", dir, "--purge"])
            #expect(down.code == 0, "\(down.out)\(down.err)")
            if let lab { #expect(try await lab.leftovers() == []) }
            #expect(!FileManager.default.fileExists(atPath: dir))
        }
    }
}
