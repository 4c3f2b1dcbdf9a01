import ChildProcesses
import Foundation

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

    /// The most of a tool's output that is kept (a full ruleset listing is a few KiB); the rest
    /// is read and dropped.
    static let outputLimit = 4 << 20

    /// Runs `executable args…` as a `ChildProcess` (stdin on /dev/null, stdout and stderr into
    /// one pipe, none of our descriptors inherited) and waits for it without holding a thread;
    /// its output, or an error quoting the command and what it said. A tool still running after
    /// `within` is killed.
    public static func run(_ executable: String, _ args: [String], within: Duration = .seconds(20)) async throws -> String {
        let outcome = try await withThrowingTaskGroup(of: ChildProcess.Outcome?.self) { group in
            group.addTask {
                do {
                    return try await ChildProcess.run(executable, args, keep: outputLimit)
                } catch {
                    throw OrchestratorError("cannot start \(executable): \(error)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: within)
                return nil
            }
            defer { group.cancelAll() }
            // Cancelling the run (the deadline passed) SIGKILLs the tool and reaps it.
            return try await group.next() ?? nil
        }
        guard let outcome else { throw OrchestratorError("\(command(executable, args)) did not finish within \(within)") }
        let text = String(decoding: outcome.output, as: UTF8.self)
        guard outcome.ending == .exited(0) else {
            let said = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let how: String
            switch outcome.ending {
            case .exited(let code): how = "exit \(code)"
            case .signaled(let signal): how = "signal \(signal)"
            }
            throw OrchestratorError("\(command(executable, args)) failed (\(how))" + (said.isEmpty ? "" : ": \(said)"))
        }
        return text
    }

    private static func command(_ executable: String, _ args: [String]) -> String {
        ([(executable as NSString).lastPathComponent] + args).joined(separator: " ")
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
