import Foundation
import Testing
@testable import Orchestrator

/// Reading why a node ended from the end of its log.
@Suite("Node exits from the log's end")
struct NodeExitTests {
    let info = "2026-12-05T08:47:31+0000 info flotilla.n2: [FlotillaNode] role candidate -> leader in term 2"

    @Test func theNodesOwnLastWordsAreItsReason() {
        let log = ["flotilla: starting n2", info, "x.swift:9: Fatal error: boom", "*** Signal 4: Backtracing ... done ***", "",
                   "flotilla node n2: died: x.swift:9: Fatal error: boom [SIGILL]", ""].joined(separator: "\n")
        #expect(NodeExit.parse(log, node: "n2") == NodeExit(reason: "x.swift:9: Fatal error: boom [SIGILL]", byOperator: false))
        let storage = "flotilla: starting n2\n\(info)\nflotilla node n2: died: storage failed: fsync: Input/output error\n"
        #expect(NodeExit.parse(storage, node: "n2")?.reason == "storage failed: fsync: Input/output error")
    }

    @Test func aBacktraceThatNeverFinishedStillHasTheReasonBeforeIt() {
        let log = ["flotilla: starting n2", info, "", "flotilla node n2: died: killed by SIGSEGV",
                   "*** Program crashed: Bad pointer dereference at 0x0 ***", "Registers:"].joined(separator: "\n")
        #expect(NodeExit.parse(log, node: "n2") == NodeExit(reason: "killed by SIGSEGV", byOperator: false))
    }

    @Test func aStartupRefusalIsItsReasonToo() {
        let log = "flotilla: starting n2\nflotilla node n2: WAL segment 3 is corrupt at offset 81920\n"
        #expect(NodeExit.parse(log, node: "n2") == NodeExit(reason: "WAL segment 3 is corrupt at offset 81920", byOperator: false))
    }

    @Test func theOperatorsNoteMeansNoDeath() {
        let killed = "flotilla: starting n2\n\(info)\nflotilla: n2 killed by the operator (SIGKILL)\n"
        #expect(NodeExit.parse(killed, node: "n2") == NodeExit(reason: "n2 killed by the operator (SIGKILL)", byOperator: true))
        // The node may log its shutdown after the launcher's note.
        let stopped = "flotilla: starting n2\nflotilla: n2 stopped by the operator (SIGTERM)\n\(info)\n... notice flotilla.n2: shut down on request\n"
        #expect(NodeExit.parse(stopped, node: "n2")?.byOperator == true)
    }

    @Test func onlyTheLatestLifeCounts() {
        // Killed, restarted, then it died of its own accord: the old kill explains nothing.
        let log = ["flotilla: starting n2", "flotilla: n2 killed by the operator (SIGKILL)", "flotilla: starting n2", info].joined(separator: "\n")
        let exit = NodeExit.parse(log, node: "n2")
        #expect(exit?.byOperator == false)
        #expect(exit?.reason.contains("without saying why") == true && exit?.reason.contains("leader in term 2") == true)
        #expect(NodeExit.parse("", node: "n2") == nil)
        #expect(NodeExit.parse("flotilla: starting n2\n", node: "n2") == nil)
    }

    @Test func readsOnlyTheEndOfALongLog() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("node-exit-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let body = String(repeating: info + "\n", count: 5_000) + "flotilla node n2: died: invariant violated: commit went back\n"
        try body.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(NodeExit.read(logFile: path, node: "n2")?.reason == "invariant violated: commit went back")
        #expect(NodeExit.read(logFile: path + ".missing", node: "n2") == nil)
    }
}
