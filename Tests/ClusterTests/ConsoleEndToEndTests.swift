import CSpawn
import Foundation
import Orchestrator
import Testing

/// A tmux server of its own, for driving the console like a person at a terminal.
struct Tmux {
    let socket = "flotilla-test-\(UUID().uuidString.prefix(8))"

    /// Runs a tmux command and returns what it printed. Spawned and reaped by hand:
    /// `new-session` forks the tmux server, and Foundation's `Process` can then miss the
    /// client's exit and wait forever.
    @discardableResult
    func run(_ args: [String]) async throws -> String {
        let socket = socket
        return try await offThePool { try Tmux.spawn(["-L", socket] + args) }
    }

    static func spawn(_ args: [String]) throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-out-\(UUID().uuidString)").path
        defer { unlink(out) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // The tmux server forks from this client: it must not inherit the test process's sockets.
        flotilla_spawn_closefrom(&actions, 3)
        let argv = (["/usr/bin/env", "tmux"] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    func screen() async throws -> String { try await run(["capture-pane", "-p", "-t", "console"]) }

    func keys(_ k: String) async throws { try await run(["send-keys", "-t", "console", k]) }

    /// Polls the screen until `condition` holds.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(30), _ condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var s = try await screen()
        while !condition(s) {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what); the screen:\n\(s)")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(100))
            s = try await screen()
        }
        return s
    }

    func kill() { _ = try? Tmux.spawn(["-L", socket, "kill-server"]) }
}

/// The leader's id in the console header.
func headerLeader(_ screen: String) -> String? {
    guard let line = screen.split(separator: "\n").first, let r = line.range(of: "leader n") else { return nil }
    return String(line[line.index(r.upperBound, offsetBy: -1)...].prefix { $0.isLetter || $0.isNumber })
}

@Suite("The console in a terminal", .serialized, .timeLimit(.minutes(3)))
struct ConsoleEndToEndTests {
    @Test func killALeaderPartitionHealAndQuitInTmux() async throws {
        let tmux = Tmux()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-console-test-\(UUID().uuidString.prefix(8))").path
        defer {
            tmux.kill()
            let launcher = Launcher(directory: dir)
            if let spec = try? launcher.load() { for n in spec.nodes { launcher.signal(n, SIGKILL) } }
            try? FileManager.default.removeItem(atPath: dir)
        }
        let command = "\(LocalCluster.executable) console --no-confirm --dir \(dir); echo EXITED:$?; sleep 60"
        try await tmux.run(["new-session", "-d", "-s", "console", "-x", "160", "-y", "45", command])

        let first = try await tmux.waitFor("a leader to show") { headerLeader($0) != nil }
        let leader = try #require(headerLeader(first))
        // Select the leader's row, then kill it with k.
        let rows = first.split(separator: "\n").filter { $0.hasPrefix("│ n") || $0.hasPrefix("│▶n") }
        let index = try #require(rows.firstIndex { $0.dropFirst(2).hasPrefix("\(leader) ") })
        for _ in 0..<index { try await tmux.keys("j") }
        try await tmux.keys("k")
        let after = try await tmux.waitFor("a new leader after killing \(leader)") { s in
            headerLeader(s).map { $0 != leader } ?? false
        }
        #expect(after.contains("kill \(leader): killed pid"))
        #expect(after.contains("✕ DOWN"))

        // Partition the (now down) selection's neighbour: move to a live node and isolate it.
        try await tmux.keys("j")
        try await tmux.keys("p")
        try await tmux.waitFor("the partition to show") { $0.contains("✂ cut") && $0.contains("partition {") }
        try await tmux.keys("h")
        let healed = try await tmux.waitFor("the heal to be verified") { $0.contains("heal: ") }
        #expect(!healed.contains("✂ cut") || healed.contains("heal: complete"))

        try await tmux.keys("q")
        let exited = try await tmux.waitFor("the console to quit") { $0.contains("EXITED:") }
        #expect(exited.contains("EXITED:0"))
        #expect(exited.contains("stopped the cluster"))
        #expect(!exited.contains("┌ Nodes"), "the terminal is back to the shell")
    }
}
