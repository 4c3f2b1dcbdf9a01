import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Flotilla's nodes in a namespace lab change membership as on loopback: a node added gets a
/// host of its own in the lab (namespace, address, bridge port), a node removed takes its host
/// with it, and a replaced node starts again in its host.
@Suite("Scaling Flotilla's nodes in a namespace lab", .serialized)
struct LabMembershipTests {
    static let reason: Comment = "needs root (network namespaces, nftables) and iproute2; .ci/run installs them and runs as root"

    @Test(.enabled(reason) { await NetworkTool.unavailableReason() == nil }, .timeLimit(.minutes(5)))
    func scaleUpGivesANewHostReplaceRestartsInItAndScaleDownTakesItAway() async throws {
        try await withNetnsCluster { c, lab in
            try await withHangGuard(.seconds(90)) {
                _ = try await c.waitForLeader()
                let engine = FlotillaEngine(control: c.control)
                let performer = CommandPerformer(engine: engine)

                let grown = try await performer.perform(.scale(change: .add(count: 1), purge: false))
                #expect(grown.message.contains("n4"), "\(grown.message)")
                let spec = try c.launcher.load()
                let n4 = try #require(spec.node("n4"), "\(spec.nodes.map(\.id))")
                let grownLab = try #require(spec.network)
                #expect(n4.adminAddress == "\(try grownLab.address(of: "n4")):8000" && n4.adminAddress.hasPrefix(lab.subnet + "."),
                        "n4 is a host of the lab: \(n4.adminAddress)")
                #expect(try await NetworkTool.ip(["netns", "list"]).contains(lab.namespace(of: "n4")))
                let (four, votes) = await engine.wait(for: .seconds(15)) { $0.voters.contains("n4") && $0.live.count == 4 }
                #expect(votes, "n4 votes: \(four.report())")
                // A kernel cut reaches n4 too: it is a member of the lab's table.
                _ = try await performer.perform(.partition(shape: .isolate(node: "n4")))
                #expect(try await KernelFaults(lab: grownLab).rules().count == 6)
                #expect(try await performer.perform(.heal).ok)

                let replaced = try await performer.perform(.replace(node: "n4"))
                #expect(replaced.ok, "\(replaced.message)")
                let (back, ok) = await engine.wait(for: .seconds(15)) { $0.voters.contains("n4") && $0.node("n4")?.live != nil }
                #expect(ok, "n4 votes again from its host: \(back.report())")

                let shrunk = try await performer.perform(.scale(change: .removeNode(id: "n4"), purge: true))
                #expect(shrunk.message.contains("n4"), "\(shrunk.message)")
                #expect(try c.launcher.load().node("n4") == nil)
                #expect(!(try await NetworkTool.ip(["netns", "list"]).contains(lab.namespace(of: "n4"))), "n4's namespace is gone")
                let (three, settled) = await engine.wait(for: .seconds(15)) { $0.members.count == 3 && $0.leader != nil }
                #expect(settled, "\(three.report())")
            }
        }
    }
}
