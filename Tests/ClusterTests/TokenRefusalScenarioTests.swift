import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Runs the `flotilla` binary with FLOTILLA_TOKEN set to `token`, or unset when nil.
private func flotilla(token: String?, _ args: [String]) async throws -> (code: Int32, out: String, err: String) {
    try await flotilla(args, environment: ["FLOTILLA_TOKEN": token])
}

/// Real nodes with a token, and a CLI or console attached with `--connect` and no token or a
/// wrong one: every refusal says "unauthorized: set FLOTILLA_TOKEN", never that a node is not
/// answering, and nothing is changed; with the right token the check changes nothing either.
@Suite("A refused token on real nodes", .serialized)
struct TokenRefusalScenarioTests {
    @Test func theCLIAndTheConsoleSayUnauthorizedNeverNotAnswering() async throws {
        try await withCluster(nodes: 3) { c in
            let leader = try await c.waitForLeader()
            let connect = c.spec.nodes.map(\.adminAddress).joined(separator: ",")
            for token in [nil, "wrong-token"] as [String?] {
                let heal = try await flotilla(token: token, ["heal", "--connect", connect, "--timeout", "1s"])
                let said = heal.out + heal.err
                #expect(heal.code != 0 && said.contains("unauthorized: set FLOTILLA_TOKEN") && !said.contains("not answering"), "\(heal)")
                let cut = try await flotilla(token: token, ["partition", leader.id, "--connect", connect])
                #expect(cut.code != 0 && (cut.out + cut.err).contains("unauthorized: set FLOTILLA_TOKEN"), "\(cut)")
            }
            let wrong = AdminClient(token: "wrong")
            #expect(await TokenCheck.check(wrong, at: leader.adminAddress) == .refused)
            await wrong.shutdown()
            #expect(await TokenCheck.check(c.client, at: leader.adminAddress) == .accepted)
            let s = await c.view()
            #expect(s.live.count == 3 && s.live.allSatisfy { $0.faults.isClean }, "nothing was changed")

            // The console: says so at start, and a refused heal is unauthorized.
            let tmux = Tmux()
            defer { tmux.kill() }
            let command = "env -u FLOTILLA_TOKEN \(LocalCluster.executable) console --no-confirm --connect \(connect); sleep 60"
            try await tmux.run(["new-session", "-d", "-s", "console", "-x", "80", "-y", "24", command])
            let start = try await tmux.waitFor("the console to say the token is refused") {
                $0.contains("unauthorized: set FLOTILLA_TOKEN") && $0.contains("token refused")
            }
            #expect(start.contains("heal*"), "the key bar marks the keys the nodes refuse:\n\(start)")
            try await tmux.keys("h")
            let healed = try await tmux.waitFor("the heal's outcome") { $0.contains("heal: INCOMPLETE") || $0.contains("heal failed") }
            #expect(healed.contains("unauthorized") && !healed.contains("not answering"), "\(healed)")
            // Enter describes the selected node; attached, its log is the node's own events.
            try await tmux.keys("Enter")
            try await tmux.waitFor("the node's own events in its description") { screen in
                screen.contains("term") && screen.range(of: #"[0-9]+s [a-z-]+ term [0-9]+: "#, options: .regularExpression) != nil
            }
            try await tmux.keys("Escape")
            try await tmux.keys("q")
        }
    }
}
