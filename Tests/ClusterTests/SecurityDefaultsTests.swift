import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// The TCP addresses process `pid` listens on, from /proc (its own network namespace's view):
/// `127.0.0.1:7101`, `0.0.0.0:8000`, `[::1]:80`.
func listeningAddresses(of pid: pid_t) -> [String] {
    let fdDir = "/proc/\(pid)/fd"
    let inodes = Set(((try? FileManager.default.contentsOfDirectory(atPath: fdDir)) ?? []).compactMap { fd -> String? in
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDir)/\(fd)"), link.hasPrefix("socket:[") else { return nil }
        return String(link.dropFirst(8).dropLast())
    })
    var out: [String] = []
    for table in ["tcp", "tcp6"] {
        let text = readProcFile("/proc/\(pid)/net/\(table)")
        for row in text.split(separator: "\n").dropFirst() {
            let f = row.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count > 9, f[3] == "0A", inodes.contains(String(f[9])) else { continue }  // 0A: LISTEN
            let parts = f[1].split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1], radix: 16) else { continue }
            let hex = String(parts[0])
            if hex.count == 8, let v = UInt32(hex, radix: 16) {
                // Little-endian on x86 and arm64.
                out.append("\(v & 0xff).\((v >> 8) & 0xff).\((v >> 16) & 0xff).\(v >> 24):\(port)")
            } else if hex == String(repeating: "0", count: 32) {
                out.append("[::]:\(port)")
            } else if hex == "00000000000000000000000001000000" {
                out.append("[::1]:\(port)")
            } else {
                out.append("[\(hex)]:\(port)")
            }
        }
    }
    return out.sorted()
}

/// The whole of a /proc file: they report a size of 0, so read until the end.
func readProcFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var out = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 { out += chunk[0..<n] } else if n < 0, errno == EINTR { continue } else { break }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Secure by default: loopback listeners, a random token per cluster in a 0600 file, no
/// non-loopback listener without a token, no shell tasks without --allow-shell.
@Suite("Security defaults", .serialized)
struct SecurityDefaultsTests {
    @Test func everyListenerOfALocalClusterBindsLoopback() async throws {
        try await withCluster(nodes: 3) { c in
            try await c.waitFor("every node to answer") { $0.live.count == 3 }
            for node in c.spec.nodes {
                let pid = try #require(c.launcher.pid(of: node))
                let listening = listeningAddresses(of: pid)
                #expect(listening.count == 2, "\(node.id) has its Raft and admin listeners: \(listening)")
                #expect(listening.allSatisfy { $0.hasPrefix("127.0.0.1:") }, "\(node.id) listens on \(listening)")
            }
        }
    }

    @Test func aNodeGivenOnlyPortsBindsLoopback() async throws {
        try await withClusterSlot { try await startALoneNodeOnBarePorts() }
    }

    func startALoneNodeOnBarePorts() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-sec-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ports = try FreePorts.take(2)
        // No host in --raft or --admin, no --peers: an uninitialized node with every default.
        let pid = try spawnProcess(LocalCluster.executable, ["node", "--id", "n1", "--raft", ":\(ports[0])", "--admin", ":\(ports[1])",
                                                             "--data", "\(dir)/data"], log: "\(dir)/node.log")
        let admin = AdminClient(token: nil)
        do {
            try await eventually("the node to answer") { (try? await admin.status("127.0.0.1:\(ports[1])")) != nil }
            #expect(listeningAddresses(of: pid) == ["127.0.0.1:\(ports[0])", "127.0.0.1:\(ports[1])"].sorted())
            let status = try await admin.status("127.0.0.1:\(ports[1])")
            #expect(status.raftAddress == "127.0.0.1:\(ports[0])" && status.adminAddress == "127.0.0.1:\(ports[1])")
        } catch {
            await stop(pid, admin)
            throw error
        }
        await stop(pid, admin)
    }

    func stop(_ pid: pid_t, _ admin: AdminClient) async {
        kill(pid, SIGKILL)
        await reapProcess(pid, within: .seconds(5))
        await admin.shutdown()
    }

    @Test func upWritesARandomTokenPerClusterReadableOnlyByItsOwner() async throws {
        try await withClusterSlot { try await upTwoClustersAndReadTheirTokens() }
    }

    func upTwoClustersAndReadTheirTokens() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-up-\(UUID().uuidString.prefix(8))").path
        let dirs = ["\(base)/a", "\(base)/b"]
        defer {
            for d in dirs {
                let launcher = Launcher(directory: d)
                if let spec = try? launcher.load() { for n in spec.nodes { launcher.signal(n, SIGKILL) } }
            }
            try? FileManager.default.removeItem(atPath: base)
        }
        var tokens: [String] = []
        for d in dirs {
            let up = try await flotilla(["up", "--nodes", "1", "--dir", d, "--recover", "off"])
            #expect(up.code == 0, "\(up)")
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(d)/token")
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(d)/token is 0600")
            let token = try String(contentsOfFile: "\(d)/token", encoding: .utf8)
            #expect(token.count == 64 && token.allSatisfy(\.isHexDigit), "256 random bits: \(token)")
            tokens.append(token)
            // Mutations need it.
            let spec = try Launcher(directory: d).load()
            let refused = try await rawRequest("POST", "http://\(spec.nodes[0].adminAddress)/v1/tasks", body: Data(#"{"kind":"echo"}"#.utf8))
            #expect(refused.status == 401)
            let down = try await flotilla(["down", "--dir", d])
            #expect(down.code == 0, "\(down)")
        }
        #expect(tokens[0] != tokens[1], "each cluster gets its own token")
    }

    @Test(arguments: ["--raft", "--admin"])
    func aNonLoopbackListenerWithoutATokenRefusesToStart(_ flag: String) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-sec-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ports = try FreePorts.take(2)
        let raft = flag == "--raft" ? "0.0.0.0:\(ports[0])" : "127.0.0.1:\(ports[0])"
        let admin = flag == "--admin" ? "0.0.0.0:\(ports[1])" : "127.0.0.1:\(ports[1])"
        let r = try await flotilla(["node", "--id", "n1", "--raft", raft, "--admin", admin, "--data", "\(dir)/data"])
        #expect(r.code != 0)
        #expect(r.err.contains("refusing to listen on a non-loopback address without a token: pass --token-file, or --insecure"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/data/wal"), "it stopped before touching its data")
    }

    /// The other side of the rule, inside a network namespace of its own so nothing listens
    /// on this machine's real interfaces: with --insecure (or a token) the node starts.
    @Test(.enabled(KernelFaultTests.reason) { await NetworkTool.unavailableReason() == nil },
          arguments: ["--insecure", "--token-file"])
    func aNonLoopbackListenerStartsWithInsecureOrAToken(_ flag: String) async throws {
        try await withClusterSlot {
            let lab = try await NetnsLab.plan(members: ["n1"])
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-netns-\(lab.run)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let tokenFile = "\(dir)/token"
            #expect(FileManager.default.createFile(atPath: tokenFile, contents: Data("secret-\(lab.run)".utf8), attributes: [.posixPermissions: 0o600]))
            try await lab.build()
            let admin = AdminClient(token: nil)
            var pid: pid_t = 0
            do {
                var node = [LocalCluster.executable, "node", "--id", "n1", "--raft", "0.0.0.0:7000", "--admin", "0.0.0.0:8000", "--data", "\(dir)/data"]
                node += flag == "--insecure" ? ["--insecure"] : ["--token-file", tokenFile]
                let argv = try lab.exec(in: "n1", node)
                pid = try spawnProcess(argv[0], Array(argv.dropFirst()), log: "\(dir)/n1.log")
                let address = "\(try lab.address(of: "n1")):8000"
                try await eventually("the node to answer on its namespace's address") { (try? await admin.status(address)) != nil }
                #expect(listeningAddresses(of: pid) == ["0.0.0.0:7000", "0.0.0.0:8000"])
            } catch {
                if pid > 0 { await stop(pid, admin) } else { await admin.shutdown() }
                try? await lab.teardown()
                try? FileManager.default.removeItem(atPath: dir)
                throw error
            }
            await stop(pid, admin)
            try await lab.teardown()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    @Test func shellTasksRunOnlyOnNodesStartedWithAllowShell() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "1", "--allow-shell"]) { c in
            let leader = try await c.waitForLeader()
            // Far more output than a pipe holds: the task must still finish, its result capped at 4 KiB.
            let r: SubmitResult = try await c.client.call("POST", leader.adminAddress, "/v1/tasks", body: TaskSubmission(
                kind: "shell", args: ["command": "printf start; head -c 200000 /dev/zero | tr '\\0' x"], key: "chatty"))
            try await eventually("the shell task to finish") {
                let t: TaskView? = try? await c.client.call("GET", leader.adminAddress, "/v1/tasks/\(r.id)")
                return t.map { [.succeeded, .failed].contains($0.state) } ?? false
            }
            let task: TaskView = try await c.client.call("GET", leader.adminAddress, "/v1/tasks/\(r.id)")
            #expect(task.state == .succeeded, "\(task)")
            #expect(task.result?.hasPrefix("startxxx") == true && task.result?.utf8.count == 4096)
        }
        // Without the flag (the default) the same submit is refused before it reaches the log.
        try await withCluster(nodes: 1) { c in
            let leader = try await c.waitForLeader()
            let body = Data(#"{"kind":"shell","args":{"command":"true"}}"#.utf8)
            let refused = try await rawRequest("POST", "http://\(leader.adminAddress)/v1/tasks", body: body, token: c.token)
            #expect(refused.status == 400)
            #expect((try? JSONDecoder().decode(APIError.self, from: refused.body))?.error.contains("--allow-shell") == true)
            #expect(try await c.client.status(leader.adminAddress).tasks.byState.values.reduce(0, +) == 0)
        }
    }
}
