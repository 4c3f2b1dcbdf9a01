import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

@Suite(.serialized) struct LinkFaultScenarioTests {
    @Test func delayLossAndHealThroughTheCLI() async throws {
        try await withCluster(nodes: 3) { c in
            _ = try await c.waitForLeader()
            let dir = c.launcher.directory
            let before = try await c.commitLatency()

            let delay = try await flotilla(["delay", "all", "60ms", "--dir", dir])
            #expect(delay.code == 0, "\(delay)")
            let after = try await c.commitLatency()
            #expect(after >= .milliseconds(60) && after > before, "before \(before), after \(after)")

            let loss = try await flotilla(["loss", "n1->n2", "10%", "--dir", dir])
            #expect(loss.code == 0, "\(loss)")
            let status = try await flotilla(["status", "--dir", dir])
            #expect(status.out.contains("n1 faults: ->all delay 60ms, ->n2 loss 10%"), "\(status.out)")

            for bad in [["loss", "n9", "10%"], ["loss", "all", "150%"], ["delay", "all", "soon"]] {
                let r = try await flotilla(bad + ["--dir", dir])
                #expect(r.code == 1 && !r.err.isEmpty, "\(bad): \(r)")
            }

            let heal = try await flotilla(["heal", "--dir", dir, "--timeout", "10s"])
            #expect(heal.code == 0 && heal.out.contains("complete"), "\(heal)")
            try await c.waitFor("every node's faults clean") { s in s.nodes.allSatisfy { $0.live?.faults.isClean == true } }
        }
    }
}
