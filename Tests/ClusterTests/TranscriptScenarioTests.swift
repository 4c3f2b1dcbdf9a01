import FlotillaAPI
import Foundation
import Orchestrator
import Testing

/// The fixtures: sessions recorded by hand (one in the console, one with CLI commands).
var fixtureFiles: [String] {
    var dir = URL(fileURLWithPath: #filePath)
    dir.deleteLastPathComponent()
    dir.deleteLastPathComponent()
    let fixtures = dir.appendingPathComponent("fixtures").path
    return ((try? FileManager.default.contentsOfDirectory(atPath: fixtures)) ?? []).filter { $0.hasSuffix(".jsonl") }.sorted().map { "\(fixtures)/\($0)" }
}

@Suite("Transcripts and replay", .serialized)
struct TranscriptScenarioTests {
    @Test func aScriptedSessionRecordedWithTheCLIReplaysWithTheSameVerdict() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("session-\(UUID().uuidString.prefix(8)).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await withCluster(nodes: 3) { c in
            let leader = try await c.waitForLeader()
            let follower = c.spec.nodes.map(\.id).first { $0 != leader.id }!
            let dir = c.launcher.directory
            for args in [["kill", follower], ["restart", follower], ["partition", "minority"], ["delay", "all", "30ms", "--jitter", "5ms"],
                         ["disk", follower, "slow", "20ms"], ["skew", follower, "2x"], ["heal", "--timeout", "10s"],
                         ["submit", "--kind", "echo", "--arg", "text=hi", "--count", "3"]] {
                let r = try await flotilla(args + ["--dir", dir, "--record", file])
                #expect(r.code == 0, "\(args): \(r.err)")
                if args[0] == "restart" { try await c.waitFor("\(follower) back") { $0.node(follower)?.up == true } }
            }
            let check = try await flotilla(["check", "--duration", "1s", "--dir", dir, "--record", file])
            #expect(check.code == 0 && check.out.contains("invariants: ok"))
        }
        let recorded = try Transcript.read(file)
        #expect(recorded.header.source == "cli" && recorded.header.cluster.nodes == 3)
        #expect(recorded.actions.map(\.verb) == ["kill", "restart", "partition", "delay", "disk", "skew", "heal", "submit"])
        #expect(recorded.actions.allSatisfy { $0.ok && $0.by == "cli" })
        #expect(recorded.header.version == 2 && recorded.actions.allSatisfy { $0.command != nil }, "version 2: every action stores its command")
        #expect(recorded.actions[3].command == .delay(links: .all, delay: TimeSpan(milliseconds: 30), jitter: TimeSpan(milliseconds: 5)))
        #expect(recorded.statuses.count >= 2, "a status before and after the commands")

        let replay = try await withClusterSlot { try await flotilla(["replay", file, "--speed", "max", "-o", "json"]) }
        #expect(replay.code == 0, "\(replay.err)")
        let report = try JSONDecoder().decode(ReplayReport.self, from: Data(replay.out.utf8))
        #expect(report.steps.map(\.verb) == recorded.actions.map(\.verb))
        #expect(report.violations.isEmpty && report.historyError == nil && report.checks > 3, "\(report.text)")
        #expect(report.steps.allSatisfy { $0.ok }, "\(report.text)")
        #expect(!report.leadersByTerm.isEmpty)
    }

    @Test(arguments: fixtureFiles)
    func aRecordedFixtureReplaysClean(_ file: String) async throws {
        let recorded = try Transcript.read(file)
        let r = try await withClusterSlot { try await flotilla(["replay", file, "--speed", "max"]) }
        #expect(r.code == 0, "\(r.out)\n\(r.err)")
        let last = r.out.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("replay: actions=\(recorded.actions.filter(\.isOperators).count) ") && last.contains(" violations=0 "), "\(r.out)")
    }

    /// A version-2 action is replayed as the command it stores, whatever its other fields say: this
    /// loss line lacks the `fraction` a version-1 reader needs (and would have replayed as 0).
    @Test func aVersionTwoTranscriptReplaysExactlyItsCommands() async throws {
        let tmp = FileManager.default.temporaryDirectory.path
        let file = "\(tmp)/v2-\(UUID().uuidString.prefix(8)).jsonl", again = "\(tmp)/v2-replayed-\(UUID().uuidString.prefix(8)).jsonl"
        defer { for f in [file, again] { try? FileManager.default.removeItem(atPath: f) } }
        let header = TranscriptHeader(started: Date(), cluster: .init(nodes: 3, ids: ["n1", "n2", "n3"]), recover: "advise", source: "test")
        let loss = OperatorCommand.loss(links: .oneWay(from: "n1", to: "n3"), share: Share(fraction: 0.3))
        let delay = OperatorCommand.delay(links: .node("n2"), delay: TimeSpan(milliseconds: 40), jitter: TimeSpan(milliseconds: 0))
        let lines: [TranscriptLine] = [
            .header(header),
            .action(ActionLine(t: 1, verb: "loss", target: "n1->n3", by: "cli", ok: true, result: "set", tookMs: 5, command: loss)),
            .action(ActionLine(t: 2, verb: "delay", target: "n2", by: "command", ok: true, result: "set", tookMs: 5, command: delay)),
            .action(ActionLine(t: 3, verb: "heal", by: "key h", ok: true, result: "complete", tookMs: 50, command: .heal)),
        ]
        let encoder = JSONEncoder()
        try lines.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined().write(toFile: file, atomically: true, encoding: .utf8)
        #expect((try? OperatorCommand(recorded: try Transcript.read(file).actions[0])) == nil, "a version-1 reader could not replay it")

        let r = try await withClusterSlot { try await flotilla(["replay", file, "--speed", "max", "--record", again, "-o", "json"]) }
        #expect(r.code == 0, "\(r.out)\n\(r.err)")
        let report = try JSONDecoder().decode(ReplayReport.self, from: Data(r.out.utf8))
        #expect(report.steps.map(\.verb) == ["loss", "delay", "heal"] && report.steps.allSatisfy(\.ok), "\(report.text)")
        #expect(report.steps.map(\.summary) == ["loss n1->n3 30%", "delay n2 40ms", "heal"], "each step as its command reads")
        let replayed = try Transcript.read(again).actions.filter(\.isOperators)
        #expect(replayed.map(\.command) == [loss, delay, .heal], "\(replayed)")
        #expect(replayed.first?.args == ["fraction": "0.3"] && replayed.first?.target == "n1->n3", "the fault set was the recorded one")
    }

    @Test func aMalformedOrNewerTranscriptIsRefusedWithItsLine() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString.prefix(8)).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let header = try String(contentsOfFile: fixtureFiles[0], encoding: .utf8).split(separator: "\n")[0]
        try "\(header)\n{\"type\":\"action\",\"t\":1}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try await flotilla(["replay", file])
        #expect(bad.code == 1 && bad.err.contains("\(file):2: malformed line"), "\(bad.err)")
        try header.replacingOccurrences(of: "\"version\":1", with: "\"version\":9").appending("\n").write(toFile: file, atomically: true, encoding: .utf8)
        let newer = try await flotilla(["replay", file])
        #expect(newer.code == 1 && newer.err.contains("version 9 is newer"), "\(newer.err)")
        #expect(newer.err.split(separator: "\n").count == 1, "one line, no stack trace")
    }
}
