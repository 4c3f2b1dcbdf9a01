import CSpawn
import Foundation
import Orchestrator
import Testing
import TestSupport

/// A small network of Linux network namespaces for one test. Each node runs in a namespace of
/// its own with two links: a data link (Raft traffic) to a switch namespace holding a bridge,
/// and a control link (the admin API) straight to the test's namespace. Cutting a node's data
/// link at the switch drops its Raft packets silently, as a real network failure does, while
/// the test keeps watching every node over the control links.
final class NamespaceLab: @unchecked Sendable {
    let tag: String
    let count: Int
    /// Second octet of the data network 10.D.0.0/24; the control links use 10.(D+1).i.0/24.
    let octet: Int
    let directory: String
    let tokenFile: String
    let clusterID: String
    private var pids: [Int: pid_t] = [:]
    private var created: [String] = []

    init(nodes: Int) throws {
        tag = String(format: "%04x", UInt16.random(in: 0...UInt16.max))
        count = nodes
        octet = 16 + 2 * Int.random(in: 0..<115)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-netns-\(tag)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        tokenFile = "\(directory)/token"
        let token = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        guard FileManager.default.createFile(atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw OrchestratorError("cannot write \(tokenFile)")
        }
        clusterID = "netns-\(tag)"
    }

    var ids: [String] { (1...count).map { "n\($0)" } }
    var switchNamespace: String { "fl\(tag)sw" }
    func namespace(_ i: Int) -> String { "fl\(tag)n\(i)" }
    func raftAddress(_ i: Int) -> String { "10.\(octet).0.\(i):7000" }
    func adminAddress(_ i: Int) -> String { "10.\(octet + 1).\(i).1:8000" }
    /// The switch's end of node i's data link.
    func switchPort(_ i: Int) -> String { "fl\(tag)p\(i)" }
    func logFile(_ i: Int) -> String { "\(directory)/n\(i).log" }
    func index(of id: String) -> Int { Int(id.dropFirst())! }

    var token: String { (try? String(contentsOfFile: tokenFile, encoding: .utf8)) ?? "" }
    var members: [(id: String, admin: String)] { (1...count).map { ("n\($0)", adminAddress($0)) } }

    // MARK: - The network

    /// Builds the namespaces, the bridge and every link.
    func create() async throws {
        let sw = switchNamespace
        try await ip(["netns", "add", sw])
        created.append(sw)
        try await ip(["-n", sw, "link", "set", "lo", "up"])
        try await ip(["-n", sw, "link", "add", "br0", "type", "bridge"])
        try await ip(["-n", sw, "link", "set", "br0", "up"])
        for i in 1...count {
            let ns = namespace(i)
            try await ip(["netns", "add", ns])
            created.append(ns)
            try await ip(["-n", ns, "link", "set", "lo", "up"])
            // Data: node namespace <-> switch bridge.
            let (data, port) = ("fl\(tag)d\(i)", switchPort(i))
            try await ip(["link", "add", data, "type", "veth", "peer", "name", port])
            try await ip(["link", "set", data, "netns", ns])
            try await ip(["link", "set", port, "netns", sw])
            try await ip(["-n", ns, "link", "set", data, "name", "data0"])
            try await ip(["-n", ns, "addr", "add", "10.\(octet).0.\(i)/24", "dev", "data0"])
            try await ip(["-n", ns, "link", "set", "data0", "up"])
            try await ip(["-n", sw, "link", "set", port, "master", "br0"])
            try await ip(["-n", sw, "link", "set", port, "up"])
            // Control: node namespace <-> the test's namespace.
            let (outside, inside) = ("fl\(tag)c\(i)", "fl\(tag)k\(i)")
            try await ip(["link", "add", outside, "type", "veth", "peer", "name", inside])
            try await ip(["link", "set", inside, "netns", ns])
            try await ip(["-n", ns, "link", "set", inside, "name", "ctl0"])
            try await ip(["-n", ns, "addr", "add", "10.\(octet + 1).\(i).1/24", "dev", "ctl0"])
            try await ip(["-n", ns, "link", "set", "ctl0", "up"])
            try await ip(["addr", "add", "10.\(octet + 1).\(i).254/24", "dev", outside])
            try await ip(["link", "set", outside, "up"])
        }
    }

    /// Takes node i's data link down at the switch: its Raft packets vanish, its TCP connections stay half open.
    func cut(_ i: Int) async throws { try await ip(["-n", switchNamespace, "link", "set", switchPort(i), "down"]) }

    func mend(_ i: Int) async throws { try await ip(["-n", switchNamespace, "link", "set", switchPort(i), "up"]) }

    // MARK: - Nodes

    /// Starts `flotilla node` for node i inside its namespace, bound to that namespace's addresses.
    func start(_ i: Int) throws {
        let peers = (1...count).map { "n\($0)=\(raftAddress($0))/\(adminAddress($0))" }.joined(separator: ",")
        let args = ["netns", "exec", namespace(i), LocalCluster.executable, "node", "--id", "n\(i)",
                    "--raft", raftAddress(i), "--admin", adminAddress(i), "--data", "\(directory)/n\(i)-data",
                    "--cluster", clusterID, "--token-file", tokenFile, "--peers", peers, "--slots", "0"]
        pids[i] = try spawnProcess(NamespaceLab.ipPath, args, log: logFile(i))
    }

    /// Stops every node, then removes every namespace (which takes their links with them) and the directory.
    func destroy() async {
        for (_, pid) in pids {
            kill(pid, SIGKILL)
            _ = await reapProcess(pid, within: .seconds(5))
        }
        pids = [:]
        for ns in created.reversed() { try? await ip(["netns", "delete", ns]) }
        created = []
        try? FileManager.default.removeItem(atPath: directory)
    }

    func logs() -> String {
        (1...count).map { i in
            let text = (try? String(contentsOfFile: logFile(i), encoding: .utf8)) ?? ""
            return "--- n\(i)\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    // MARK: - Processes

    static var ipPath: String {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"
    }

    /// Runs `ip args…` to completion (off the shared pool); throws with its stderr when it fails.
    func ip(_ args: [String]) async throws {
        try await NamespaceLab.ip(args)
    }

    static func ip(_ args: [String]) async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ip-\(UUID().uuidString)").path
        defer { unlink(out) }
        let status = try await offThePool { () throws -> Int32 in
            let pid = try spawnProcess(ipPath, args, log: out)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return status
        }
        guard status == 0 else {
            let err = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            throw OrchestratorError("ip \(args.joined(separator: " ")) failed (status \(status)): \(err)")
        }
    }

    /// Whether this machine lets the test build namespaces: iproute2 is there and a probe
    /// namespace can be created and removed (root, or CAP_NET_ADMIN and CAP_SYS_ADMIN).
    static func available() async -> Bool {
        guard FileManager.default.isExecutableFile(atPath: ipPath) else { return false }
        let probe = "flprobe\(String(format: "%04x", UInt16.random(in: 0...UInt16.max)))"
        do {
            try await ip(["netns", "add", probe])
        } catch {
            return false
        }
        try? await ip(["netns", "delete", probe])
        return true
    }
}

/// Runs `body` with a lab of `nodes` namespaces (once a cluster slot is free), and always tears it down.
func withNamespaceLab(nodes: Int, _ body: (NamespaceLab) async throws -> Void) async throws {
    try await withClusterSlot { try await runNamespaceLab(nodes: nodes, body) }
}

private func runNamespaceLab(nodes: Int, _ body: (NamespaceLab) async throws -> Void) async throws {
    let lab = try NamespaceLab(nodes: nodes)
    do {
        try await lab.create()
        try await body(lab)
    } catch {
        await lab.destroy()
        throw error
    }
    await lab.destroy()
}
