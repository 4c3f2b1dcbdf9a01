import FlotillaAPI
import Foundation
import Orchestrator
import Testing

/// A node that dies says why: its reason is the last line of its log, and `flotilla status`
/// and the console's events show it, while a node the operator killed is not reported as dead.
@Suite("Why a node died", .serialized)
struct NodeDeathTests {
    func lastLine(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").last.map(String.init) ?? ""
    }

    @Test func aTrapLeavesItsReasonAsTheLastLineAndStatusShowsIt() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "0", "--planted-trap-after-ms", "1500"]) { c in
            // The process ends once Swift's backtracer has symbolicated every thread: 8-10 s of one
            // core for a debug build here, three times that on a loaded 2-core machine.
            let v = try await c.waitFor("n1 to die of its planted trap", timeout: .seconds(90)) { $0.node("n1")?.death != nil }
            let death = try #require(v.node("n1")?.death)
            #expect(death.reason.contains("Fatal error: planted trap after 1500 ms"), "\(death.reason)")
            #expect(death.reason.hasSuffix("[SIGILL]") || death.reason.hasSuffix("[SIGTRAP]"), "\(death.reason)")
            let last = try lastLine(c.node("n1").logFile)
            #expect(last.hasPrefix("flotilla node n1: died: "), "the log's last line: \(last)")
            #expect(last.contains("planted trap"), "the log's last line: \(last)")

            // The observer, shown the same view once before the death was read from the log, reports it.
            var observer = ChangeObserver()
            var before = v
            for i in before.nodes.indices where before.nodes[i].id == "n1" { before.nodes[i].exit = nil }
            _ = observer.observe(before)
            let events = observer.observe(v)
            #expect(events.contains { $0.category == "node-died" && $0.message.contains("planted trap") }, "\(events.map(\.message))")

            // The only node is dead: status still shows every node and why, and fails.
            let status = try await flotilla(["status", "--dir", c.launcher.directory])
            #expect(status.code == 1 && status.err.contains("answers"), "\(status)")
            #expect(status.out.contains("  died, not answering"), "\(status)")
            #expect(status.out.contains("n1 died: ") && status.out.contains("planted trap"), "\(status.out)")
        }
    }

    @Test func aNodeTheOperatorKilledIsNotReportedDead() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0"]) { c in
            let leader = try await c.waitForLeader()
            let victim = c.spec.nodes.first { $0.id != leader.id }!.id
            try await c.control.kill(victim)
            let v = try await c.waitFor("\(victim)'s process to be gone") { $0.node(victim)?.process == .stopped }
            let exit = try #require(v.node(victim)?.exit)
            #expect(exit.byOperator && exit.reason.contains("killed by the operator"), "\(exit)")
            #expect(v.node(victim)?.death == nil)
            #expect(v.notes().isEmpty, "\(v.notes())")
            // Restarted, it starts a new life: the old kill no longer explains anything.
            try await c.control.restart(victim)
            try await c.waitFor("\(victim) back") { $0.node(victim)?.live != nil }
            #expect(NodeExit.read(logFile: c.node(victim).logFile, node: victim)?.byOperator != true)
        }
    }

    /// `restart` returns once the node answers, so a `status` right after it finds the node up;
    /// a node that ends as it starts (its identity file damaged meanwhile) is an error naming the
    /// node's own reason, exit 1, not "restarted".
    @Test func restartWaitsForTheNodeAndSaysWhyOneDidNotComeBack() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0"]) { c in
            let leader = try await c.waitForLeader()
            let victim = try #require(c.spec.nodes.first { $0.id != leader.id })
            let dir = c.launcher.directory
            let restart = try await flotilla(["restart", victim.id, "--dir", dir])
            #expect(restart.code == 0, "\(restart)")
            let json = try await flotilla(["status", "--dir", dir, "-o", "json"])
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let s = try decoder.decode(ClusterSnapshot.self, from: Data(json.out.utf8))
            #expect(s.node(victim.id)?.live != nil, "answering right after restart returned: \(s.table())")

            try await c.control.kill(victim.id)
            let identity = "\(victim.dataDir)/identity"
            try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: identity))
            let refused = try await flotilla(["restart", victim.id, "--dir", dir])
            #expect(refused.code == 1, "\(refused)")
            #expect(refused.err.contains("\(victim.id) ended as it started: ") && refused.err.contains(identity)
                && refused.err.contains("its log: \(victim.logFile)"), "\(refused.err)")
        }
    }
}
