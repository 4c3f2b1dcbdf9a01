import CSpawn
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the kernel's network tools (`ip`, `nft`) to completion and hands back what they
/// printed. Namespaces, links and nftables tables are made by these tools rather than by
/// netlink calls of our own, so what Flotilla does is what an operator would type.
public enum NetworkTool {
    /// Where iproute2's `ip` is, or nil when it is not installed.
    public static var ipPath: String? { first(["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]) }

    /// Where `nft` is, or nil when nftables is not installed.
    public static var nftPath: String? { first(["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/bin/nft"]) }

    private static func first(_ paths: [String]) -> String? {
        paths.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `ip args…`; throws with its own words when it fails.
    @discardableResult
    public static func ip(_ args: [String]) async throws -> String {
        guard let path = ipPath else { throw OrchestratorError("iproute2's `ip` is not installed") }
        return try await run(path, args)
    }

    /// `nft args…` inside the network namespace `namespace` (through `ip netns exec`).
    @discardableResult
    public static func nft(in namespace: String, _ args: [String]) async throws -> String {
        guard let nft = nftPath else { throw OrchestratorError("`nft` (nftables) is not installed") }
        return try await ip(["netns", "exec", namespace, nft] + args)
    }

    /// Runs `executable args…` with stdin on /dev/null and stdout and stderr to one temp file,
    /// waiting for it without holding a thread of the shared pool; its output, or an error
    /// quoting the command and what it said.
    public static func run(_ executable: String, _ args: [String], within: Duration = .seconds(20)) async throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-tool-\(UUID().uuidString)").path
        defer { unlink(out) }
        let pid = try spawn(executable, args, output: out)
        let deadline = ContinuousClock.now + within
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0, errno != EINTR { throw OrchestratorError("lost \(executable) (pid \(pid)): \(String(cString: strerror(errno)))") }
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                throw OrchestratorError("\(command(executable, args)) did not finish within \(within)")
            }
            try? await Task.sleep(for: .milliseconds(3))
        }
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            let said = text.trimmingCharacters(in: .whitespacesAndNewlines)
            throw OrchestratorError("\(command(executable, args)) failed (\(exited ? "exit \(code)" : "signal \(status & 0x7f)"))" + (said.isEmpty ? "" : ": \(said)"))
        }
        return text
    }

    private static func command(_ executable: String, _ args: [String]) -> String {
        ([(executable as NSString).lastPathComponent] + args).joined(separator: " ")
    }

    /// posix_spawn by hand: the tool must inherit none of our descriptors (a node's sockets),
    /// and its output goes to a file we read once it exits.
    private static func spawn(_ executable: String, _ args: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        flotilla_spawn_closefrom(&actions, 3)
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw OrchestratorError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Why kernel network faults cannot be used here, or nil when they can: iproute2 and
    /// nftables are installed and a probe namespace can be made, given a table and removed
    /// (root, or CAP_NET_ADMIN with CAP_SYS_ADMIN).
    public static func unavailableReason() async -> String? {
        guard ipPath != nil else { return "iproute2 (`ip`) is not installed" }
        guard nftPath != nil else { return "nftables (`nft`) is not installed" }
        let probe = "flotilla-probe-\(String(format: "%06x", UInt32.random(in: 0...0xFFFFFF)))"
        do {
            try await ip(["netns", "add", probe])
        } catch {
            return "network namespaces cannot be made here (needs root, or CAP_NET_ADMIN and CAP_SYS_ADMIN): \(error)"
        }
        do {
            try await nft(in: probe, ["add", "table", "bridge", "flotilla_probe"])
        } catch {
            try? await ip(["netns", "delete", probe])
            return "nftables refuses a bridge table here: \(error)"
        }
        try? await ip(["netns", "delete", probe])
        return nil
    }
}
