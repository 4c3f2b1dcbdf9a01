import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Flotilla's nodes as hosts of a namespace lab, broken by nftables rules rather than by the
/// nodes' own filter: the kernel drops the frames, the nodes know nothing of it.
@Suite("Kernel network faults (namespaces and nftables)", .serialized)
struct KernelFaultTests {
    static let reason: Comment = "needs root (network namespaces, nftables), iproute2 and nft; .ci/run installs both and runs as root"

    @Test(.enabled(reason) { await NetworkTool.unavailableReason() == nil }, .timeLimit(.minutes(3)))
    func isolatingTheLeaderInTheKernelElectsAnotherAndHealLeavesNoTable() async throws {
        let started = ContinuousClock.now
        try await withNetnsCluster { c, lab in
            let kernel = try #require(c.control.kernelFaults, "cluster.json names the lab")
            let first = try await c.waitForLeader()
            #expect(first.raftAddress.hasPrefix(lab.subnet + "."), "nodes bind their hosts' addresses: \(first.raftAddress)")

            // Isolate the leader with nftables: the majority elects another leader.
            let plan = try await c.control.isolate(first.id)
            #expect(plan.description.contains(first.id))
            let rules = try await kernel.rules()
            #expect(rules.count == 4 && rules.allSatisfy { $0.isCut && ($0.from == first.id || $0.to == first.id) }, "\(rules)")
            #expect(try await c.control.client.admin.call("GET", first.adminAddress, "/v1/faults", timeout: .seconds(2)) as FaultSpec == FaultSpec(),
                    "the node's own filter stays clean: the kernel does the cutting")
            // (The isolated node still answers the root namespace, so it is live but follows nobody new.)
            try await c.waitFor("a leader among the majority") { s in
                let majority = s.live.filter { $0.id != first.id }
                guard let l = majority.first(where: { $0.role == .leader }) else { return false }
                return l.term > first.term && majority.allSatisfy { $0.leader == l.id }
            }

            // The isolated node still answers the root namespace, and refuses writes.
            try await c.waitFor("\(first.id) to step down") { s in s.node(first.id)?.live.map { $0.role != .leader } ?? false }
            await #expect(throws: (any Error).self) {
                let _: SubmitResult = try await c.client.call("POST", first.adminAddress, "/v1/tasks",
                                                              body: TaskSubmission(kind: "echo", key: "isolated"), timeout: .seconds(3))
            }

            // Heal: the table is gone (listed), one leader, everybody follows it.
            let report = await c.control.heal(timeout: .seconds(15))
            #expect(report.complete, "\(report.summary)")
            #expect(try await kernel.tableExists() == false)
            let listed = try await NetworkTool.nft(in: lab.switchNamespace, ["list", "tables"])
            #expect(!listed.contains(lab.tableName), "\(listed)")
            let settled = try await c.waitFor("one leader all follow") { s in
                guard let l = s.leader else { return false }
                return s.live.count == 3 && s.live.allSatisfy { $0.leader == l.id } && s.nodes.filter { $0.live?.role == .leader }.count == 1
            }
            let leader = try #require(settled.leader)

            // Loss of 100% both ways on one link acts as a cut: the leader sees that follower unreachable.
            let follower = lab.members.first { $0 != leader.id }!
            try await c.control.loss("\(leader.id)<->\(follower)", fraction: 1)
            #expect(try await kernel.rules() == [LinkRule(from: leader.id, to: follower), LinkRule(from: follower, to: leader.id)].sorted())
            try await c.waitFor("\(leader.id) to see \(follower) unreachable") { s in
                s.leader?.peers.first { $0.id == follower }?.status == "unreachable"
            }
            #expect(await c.control.heal(timeout: .seconds(15)).complete)
        }
        print("kernel isolate/heal/loss run took \(ContinuousClock.now - started)")
    }

    @Test(.enabled(reason) { await NetworkTool.unavailableReason() == nil }, .timeLimit(.minutes(5)))
    func upWithNetnsPutsTheNodesInNamespacesAndDownRemovesTheLab() async throws {
        try await withClusterSlot {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-netns-\(UUID().uuidString.prefix(8))").path
            let up = try await flotilla(["up", "--net", "netns", "--nodes", "3", "--dir", dir, "--recover", "off", "--slots", "0"])
            let lab = try? Launcher(directory: dir).load().network
            do {
                #expect(up.code == 0, "\(up.out)\(up.err)")
                let lab = try #require(lab, "cluster.json names the lab")
                let spec = try Launcher(directory: dir).load()
                #expect(spec.nodes.allSatisfy { $0.raftAddress.hasPrefix(lab.subnet + ".") && $0.adminAddress.hasPrefix(lab.subnet + ".") })
                #expect(try await lab.exists())
                let isolate = try await flotilla(["isolate", "leader", "--dir", dir])
                #expect(isolate.code == 0, "\(isolate.out)\(isolate.err)")
                let rules = try await KernelFaults(lab: lab).rules()
                #expect(rules.count == 4 && rules.allSatisfy(\.isCut), "the kernel cuts, not the nodes: \(rules)")
                let status = try await flotilla(["status", "--dir", dir])
                let cut = try #require(rules.first)
                #expect(status.out.contains("kernel faults (nftables table bridge \(lab.tableName)") && status.out.contains(cut.description), "\(status.out)")
                let heal = try await flotilla(["heal", "--dir", dir, "--timeout", "15s"])
                #expect(heal.code == 0, "\(heal.out)\(heal.err)")
                #expect(try await KernelFaults(lab: lab).tableExists() == false)
            } catch {
                _ = try? await flotilla(["down", "--dir", dir, "--purge"])
                try? await lab?.teardown()
                throw error
            }
            let down = try await flotilla(["down", "--dir", dir, "--purge"])
            #expect(down.code == 0, "\(down.out)\(down.err)")
            if let lab { #expect(try await lab.leftovers() == []) }
        }
    }

    @Test(.enabled(reason) { await NetworkTool.unavailableReason() == nil }, .timeLimit(.minutes(5)))
    func teardownLeavesNothingOfTheRunEvenWhenTheTestThrows() async throws {
        struct Planned: Error {}
        var seen: NetnsLab?
        do {
            try await withNetnsCluster { c, lab in
                seen = lab
                // Founded first: the first founder founds only once it has heard every founder,
                // and a cut between n1 and n2 at birth holds the founding until it heals.
                _ = try await c.waitForLeader()
                try await KernelFaults(lab: lab).cut(from: "n1", to: "n2")
                #expect(try await KernelFaults(lab: lab).tableExists())
                #expect(!(try await lab.leftovers()).isEmpty, "the lab exists while the body runs")
                throw Planned()
            }
            Issue.record("the body's error was swallowed")
        } catch is Planned {
        }
        let lab = try #require(seen)
        #expect(try await lab.leftovers() == [])
        let namespaces = try await NetworkTool.ip(["netns", "list"])
        let links = try await NetworkTool.ip(["link"])
        let tables = try await NetworkTool.run(NetworkTool.nftPath!, ["list", "tables"])
        for text in [namespaces, links, tables] { #expect(!text.contains(lab.run), "\(text)") }
    }

    @Test(.enabled(reason) { await NetworkTool.unavailableReason() == nil }, .timeLimit(.minutes(1)))
    func sweepRemovesADeadRunAndSparesALiveOne() async throws {
        let dead = try await NetnsLab.plan(members: ["n1", "n2"])
        try await dead.build()
        let live = try await NetnsLab.plan(members: ["n1"])
        try await live.build()
        let sleeper = try spawnProcess(NetworkTool.ipPath!, ["netns", "exec", live.namespace(of: "n1"), "/bin/sleep", "30"], log: "/dev/null")
        do {
            try await eventually("the sleeper in its namespace", timeout: .seconds(5)) {
                !(try await NetworkTool.ip(["netns", "pids", live.namespace(of: "n1")])).isEmpty
            }
            #expect(try await NetnsLab.sweep(olderThan: .zero, only: live.run) == [], "a run with a process in it is alive")
            #expect(try await NetnsLab.sweep(olderThan: .seconds(3600), only: dead.run) == [], "a young run is spared")
            #expect(try await NetnsLab.sweep(olderThan: .zero, only: dead.run) == [dead.run])
            try await eventually("the dead run gone", timeout: .seconds(5)) { try await dead.leftovers().isEmpty }
            #expect(try await live.exists())
        } catch {
            kill(sleeper, SIGKILL)
            await reapProcess(sleeper, within: .seconds(5))
            try? await live.teardown()
            throw error
        }
        kill(sleeper, SIGKILL)
        await reapProcess(sleeper, within: .seconds(5))
        try await live.teardown()
    }
}

/// Runs `body` with a 3-node cluster whose nodes are hosts of a new namespace lab (once a
/// cluster slot is free); stops the nodes and tears the lab down however the body ends, and
/// expects nothing of the run to be left.
func withNetnsCluster(_ body: (LocalCluster, NetnsLab) async throws -> Void) async throws {
    try await withClusterSlot {
        let lab = try await NetnsLab.plan(members: ["n1", "n2", "n3"])
        try await lab.build()
        let cluster: LocalCluster
        do {
            cluster = try LocalCluster(nodes: 3, nodeArgs: ["--slots", "0"], network: lab)
        } catch {
            try? await lab.teardown()
            throw error
        }
        do {
            try await body(cluster, lab)
        } catch {
            await cluster.shutdown()
            try await lab.teardown()
            throw error
        }
        await cluster.shutdown()
        try await lab.teardown()
        #expect(try await lab.leftovers() == [])
    }
}
