import Foundation
import Orchestrator
import Testing
import TestSupport

/// The console on Flotilla's nodes in a namespace lab, in tmux: a kernel partition shows as
/// `✂ cut` rows and in the fault list (`F`), and `u` on one cut removes that cut only.
@Suite("The console on a lab cluster, in a terminal", .serialized)
struct KernelFaultConsoleTests {
    static let reason: Comment = "needs root (network namespaces, nftables), iproute2 and tmux; .ci/run installs them and runs as root"

    @Test(.enabled(reason) { await NetworkTool.unavailableReason() == nil && FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") },
          .timeLimit(.minutes(5)))
    func aKernelCutShowsInTheRowsAndTheFaultListAndUUndoesOnlyIt() async throws {
        try await withClusterSlot {
            let tmux = Tmux()
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-lab-console-\(UUID().uuidString.prefix(8))").path
            let up = try await flotilla(["up", "--net", "netns", "--nodes", "3", "--dir", dir])
            let lab = try? Launcher(directory: dir).load().network
            do {
                #expect(up.code == 0, "\(up.out)\(up.err)")
                let lab = try #require(lab, "cluster.json names the lab")
                let command = "\(LocalCluster.executable) console --no-confirm --dir \(dir); echo EXITED:$?; sleep 60"
                try await tmux.run(["new-session", "-d", "-s", "console", "-x", "160", "-y", "45", command])
                try await tmux.waitFor("a leader") { $0.split(separator: "\n").first?.contains("leader n") == true }
                try await tmux.run(["send-keys", "-t", "console", ":partition n1|n2,n3", "Enter"])
                try await tmux.waitFor("the kernel cut on the nodes' rows") { $0.contains("✂ cut") }
                try await tmux.keys("F")
                let list = try await tmux.waitFor("both cuts in the fault list, set by the command line") { s in
                    ["n1<->n2", "n1<->n3"].allSatisfy { cut in s.split(separator: "\n").contains { $0.contains(cut) && $0.contains("by command") } }
                }
                #expect(list.split(separator: "\n").contains { $0.contains("▶") && $0.contains("n1<->n2") }, "the first cut is selected: \(list)")
                try await tmux.keys("u")
                // (The events panel names n1<->n2 in the mend's event; the list's rows say who set a cut.)
                try await tmux.waitFor("n1<->n2 gone from the list, n1<->n3 still in it") { s in
                    let rows = s.split(separator: "\n").filter { $0.contains("by command") }
                    return !rows.contains { $0.contains("n1<->n2") } && rows.contains { $0.contains("n1<->n3") }
                }
                let rules = try await KernelFaults(lab: lab).rules()
                #expect(Set(rules.map(\.description)) == ["cut n1->n3", "cut n3->n1"], "only the undone cut is gone: \(rules)")
                try await tmux.keys("Escape")
                try await tmux.keys("q")
                let exited = try await tmux.waitFor("the console to quit") { $0.contains("EXITED:") }
                #expect(exited.contains("EXITED:0"))
            } catch {
                tmux.kill()
                // `down` also stops the supervisor `up` started, which would restart the nodes.
                _ = try? await flotilla(["down", "--dir", dir, "--purge"])
                let launcher = Launcher(directory: dir)
                if let spec = try? launcher.load() { for n in spec.nodes { launcher.signal(n, SIGKILL) } }
                try? await lab?.teardown()
                try? FileManager.default.removeItem(atPath: dir)
                throw error
            }
            tmux.kill()
            let down = try await flotilla(["down", "--dir", dir, "--purge"])
            #expect(down.code == 0, "\(down.out)\(down.err)")
            if let lab { #expect(try await lab.leftovers() == []) }
        }
    }
}
