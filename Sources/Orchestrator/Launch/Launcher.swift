import FlotillaAPI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops the node processes of a local cluster living in one directory:
/// cluster.json, a token file (0600), and per node a data dir, a log file and a pid file.
public struct Launcher: Sendable {
    public let directory: String
    /// The `flotilla` executable that runs `flotilla node`.
    public let executable: String

    public init(directory: String, executable: String = Launcher.currentExecutable) {
        self.directory = (directory as NSString).standardizingPath
        self.executable = executable
    }

    /// This process's own executable, so `swift run flotilla up` needs nothing installed.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    var specPath: String { "\(directory)/cluster.json" }

    public var exists: Bool { FileManager.default.fileExists(atPath: specPath) }

    public func load() throws -> ClusterSpec {
        guard FileManager.default.fileExists(atPath: directory) else {
            throw OrchestratorError("cluster directory \(directory) does not exist (start one with `flotilla up --dir \(directory)`)")
        }
        guard let data = FileManager.default.contents(atPath: specPath) else {
            throw OrchestratorError("\(specPath) is missing: \(directory) is not a Flotilla cluster directory")
        }
        do {
            return try JSONDecoder().decode(ClusterSpec.self, from: data)
        } catch {
            throw OrchestratorError("\(specPath) is not valid: \(error)")
        }
    }

    /// Which cluster.json is on disk (nil: none can be read), to reload it only when it changed.
    /// `save` writes a new file and renames it into place, so every save gives a new inode,
    /// even two saves within one tick of the file system's clock.
    public func specVersion() -> SpecVersion? {
        var st = stat()
        guard stat(specPath, &st) == 0 else { return nil }
        return SpecVersion(inode: UInt64(st.st_ino), modifiedNs: Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec))
    }

    public struct SpecVersion: Equatable, Sendable {
        var inode: UInt64
        var modifiedNs: Int
    }

    public func token() throws -> String {
        let spec = try load()
        guard let t = try? String(contentsOfFile: spec.tokenFile, encoding: .utf8) else {
            throw OrchestratorError("cannot read the token file \(spec.tokenFile)")
        }
        return t.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates a new cluster directory for `count` nodes on free loopback ports.
    /// With `network`, each node gets its host's address in the lab (Raft on port 7000, admin on 8000).
    public func create(nodes count: Int, nodeArgs: [String] = [], network: NetnsLab? = nil) throws -> ClusterSpec {
        guard count >= 1, count <= 15 else { throw OrchestratorError("a local cluster has 1 to 15 nodes (asked for \(count))") }
        if exists { throw OrchestratorError("\(directory) already holds a cluster; use it, or `flotilla down --dir \(directory) --purge` first") }
        let fm = FileManager.default
        try PrivateFiles.makeDirectory(directory)
        let tokenFile = "\(directory)/token"
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        guard fm.createFile(atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw OrchestratorError("cannot write \(tokenFile)")
        }
        let ports = try FreePorts.take(count * 2)
        let nodes = try (1...count).map { i in
            let host = try network.map { try $0.address(of: "n\(i)") }
            return ClusterSpec.NodeSpec(id: "n\(i)", raftAddress: host.map { "\($0):7000" } ?? "127.0.0.1:\(ports[2 * (i - 1)])",
                                        adminAddress: host.map { "\($0):8000" } ?? "127.0.0.1:\(ports[2 * (i - 1) + 1])",
                                        dataDir: "\(directory)/n\(i)/data", logFile: "\(directory)/n\(i)/node.log",
                                        pidFile: "\(directory)/n\(i)/node.pid")
        }
        for n in nodes { try PrivateFiles.makeDirectory("\(directory)/\(n.id)") }
        let spec = ClusterSpec(clusterID: "flotilla-\(token.prefix(8))", tokenFile: tokenFile, nodes: nodes,
                               nodeArgs: nodeArgs, createdAt: ISO8601DateFormatter().string(from: Date()), network: network)
        try save(spec)
        return spec
    }

    /// Adds a node with the next free id and fresh ports to cluster.json (it is not started).
    /// In a namespace lab it gets a host number there and the lab's ports; `ensureHost` makes its host.
    public func addNode() throws -> (ClusterSpec, ClusterSpec.NodeSpec) {
        var spec = try load()
        let used = Set(spec.nodes.map(\.id))
        let n = (1...).first { !used.contains("n\($0)") }!
        let raft: String, admin: String
        if let lab = spec.network {
            let grown = try lab.adding("n\(n)")
            let host = try grown.address(of: "n\(n)")
            spec.network = grown
            (raft, admin) = ("\(host):7000", "\(host):8000")
        } else {
            let ports = try FreePorts.take(2)
            (raft, admin) = ("127.0.0.1:\(ports[0])", "127.0.0.1:\(ports[1])")
        }
        let node = ClusterSpec.NodeSpec(id: "n\(n)", raftAddress: raft, adminAddress: admin,
                                        dataDir: "\(directory)/n\(n)/data", logFile: "\(directory)/n\(n)/node.log",
                                        pidFile: "\(directory)/n\(n)/node.pid")
        // A removed member's folder is kept (scale down without --purge); the new node must not
        // start on its old data, which would make it that member come back stale.
        _ = try setAside("\(directory)/n\(n)", as: "removed")
        try PrivateFiles.makeDirectory("\(directory)/n\(n)")
        spec.nodes.append(node)
        try save(spec)
        return (spec, node)
    }

    public func save(_ spec: ClusterSpec) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try PrivateFiles.write(try encoder.encode(spec), to: specPath)
    }

    /// The pid of a node's process if it is alive.
    public func pid(of node: ClusterSpec.NodeSpec) -> pid_t? { livePid(in: node.pidFile) }

    /// The pid written in `file` if that process is alive.
    func livePid(in file: String) -> pid_t? {
        guard let pid = reapedPid(in: file) else { return nil }
        return isAlive(pid) ? pid : nil
    }

    /// The pid written in `file`, after reaping it if it is our own child that died (or it
    /// would linger as a zombie that looks alive).
    private func reapedPid(in file: String) -> pid_t? {
        guard let data = FileManager.default.contents(atPath: file),
              let word = data.split(whereSeparator: { $0 == 0x20 || $0 == 0x0a || $0 == 0x09 || $0 == 0x0d }).first,
              let pid = pid_t(String(decoding: word, as: UTF8.self)), pid > 0 else { return nil }
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
        return pid
    }

    /// How a node starts when its data dir is empty.
    public enum StartMode: Sendable, Equatable {
        /// A founder: bootstraps with every node of cluster.json.
        case founder
        /// Asks this admin address to admit it as a learner.
        case join(String)
        /// Waits until someone sends it `POST /v1/bootstrap`.
        case uninitialized
    }

    /// Starts a node in the background, in its own session (a Ctrl-C in the terminal does not reach it).
    /// A node that already has data ignores `mode` and recovers from disk.
    @discardableResult
    public func start(_ node: ClusterSpec.NodeSpec, spec: ClusterSpec, mode: StartMode = .founder) throws -> pid_t {
        if let pid = pid(of: node) { return pid }
        var args = ["node", "--id", node.id, "--raft", node.raftAddress, "--admin", node.adminAddress,
                    "--data", node.dataDir, "--cluster", spec.clusterID, "--token-file", spec.tokenFile]
        switch mode {
        case .founder: args += ["--peers", spec.peersFlag]
        case .join(let contact): args += ["--join", contact]
        case .uninitialized: break
        }
        args += spec.nodeArgs
        note(node, NodeLogLines.starting(node.id))
        // In a namespace lab, `ip netns exec` execs the node in place: the pid is the node's.
        let argv = try spec.network.map { try $0.exec(in: node.id, [executable] + args) } ?? [executable] + args
        let pid = try Spawn.background(argv[0], Array(argv.dropFirst()), log: node.logFile)
        try PrivateFiles.write("\(pid)\n", to: node.pidFile)
        return pid
    }

    var supervisorPidFile: String { "\(directory)/supervisor.pid" }

    /// Starts `flotilla supervise --dir D …` in the background (recovery and the invariant monitor),
    /// logging to supervisor.log. Does nothing if one already runs. Only the directory counts, so
    /// an etcd cluster's directory gets its supervisor (and `down` stops it) the same way.
    @discardableResult
    public func startSupervisor(_ extraArgs: [String]) throws -> pid_t {
        if let pid = supervisorPid() { return pid }
        let pid = try Spawn.background(executable, ["supervise", "--dir", directory] + extraArgs, log: "\(directory)/supervisor.log")
        try PrivateFiles.write("\(pid)\n", to: supervisorPidFile)
        return pid
    }

    public func supervisorPid() -> pid_t? { livePid(in: supervisorPidFile) }

    /// Stops the supervisor first, so it does not restart the nodes being stopped.
    public func stopSupervisor() async {
        guard let pid = supervisorPid() else { return }
        Glibc.kill(pid, SIGTERM)
        if !(await Spawn.waitForExit(pid, within: .seconds(3))) {
            Glibc.kill(pid, SIGKILL)
            _ = await Spawn.waitForExit(pid, within: .seconds(3))
        }
        try? FileManager.default.removeItem(atPath: supervisorPidFile)
    }

    /// Whether a node's process runs, is stopped by SIGSTOP, or is gone.
    /// Read several times a second by watchers: one look at /proc per call.
    public func processState(_ node: ClusterSpec.NodeSpec) -> ProcessState {
        guard let pid = reapedPid(in: node.pidFile) else { return .stopped }
        switch Spawn.state(of: pid) {
        case nil, "Z", "X": return .stopped
        case "T", "t": return .paused  // stopped by a signal
        default: return .running
        }
    }

    /// Renames `path` to `PATH.WHY-TIMESTAMP` when it exists, so nothing is deleted and nothing
    /// starts on it again; returns the new name.
    public func setAside(_ path: String, as why: String) throws -> String? {
        let fm = FileManager.default
        guard fm.fileExists(atPath: path) else { return nil }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        var target = "\(path).\(why)-\(stamp)"
        var n = 1
        while fm.fileExists(atPath: target) {
            n += 1
            target = "\(path).\(why)-\(stamp)-\(n)"
        }
        try fm.moveItem(atPath: path, toPath: target)
        return target
    }

    /// Drops a node from cluster.json; its directory stays unless `purge`.
    /// In a namespace lab, makes `id`'s host unless it stands; nothing on loopback.
    public func ensureHost(_ id: String) async throws {
        guard let lab = try load().network else { return }
        try await lab.ensureHost(id)
    }

    /// In a namespace lab, takes down the host of a node that left (its namespace); nothing on loopback.
    public func removeHost(_ id: String) async throws {
        guard let lab = try load().network else { return }
        try await lab.removeHost(id)
    }

    public func removeNode(_ id: String, purge: Bool) throws {
        var spec = try load()
        spec.nodes.removeAll { $0.id == id }
        try save(spec)
        if purge { try? FileManager.default.removeItem(atPath: "\(directory)/\(id)") }
    }

    /// Sends `signal` to a node's process; false when it is not running.
    @discardableResult
    public func signal(_ node: ClusterSpec.NodeSpec, _ signal: Int32) -> Bool {
        guard let pid = pid(of: node) else { return false }
        return Glibc.kill(pid, signal) == 0
    }

    /// Appends a note to a node's log: the launcher's notes say who started and stopped it, so
    /// the log's end tells an operator's stop from a death (`NodeExit`).
    public func note(_ node: ClusterSpec.NodeSpec, _ text: String) {
        let fd = open(node.logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)  // a node's log quotes its tasks
        guard fd >= 0 else { return }
        defer { close(fd) }
        let line = Array((NodeLogLines.launcherPrefix + text + "\n").utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Stops a node (SIGTERM, then SIGKILL after `grace`) and waits until it is gone.
    public func stop(_ node: ClusterSpec.NodeSpec, grace: Duration = .seconds(5)) async -> Bool {
        guard let pid = pid(of: node) else { return true }
        note(node, "\(node.id) stopped by the operator (SIGTERM)")
        Glibc.kill(pid, SIGCONT)
        Glibc.kill(pid, SIGTERM)
        if await Spawn.waitForExit(pid, within: grace) { return true }
        Glibc.kill(pid, SIGKILL)
        return await Spawn.waitForExit(pid, within: .seconds(5))
    }
}

/// A local node process as the launcher sees it.
public enum ProcessState: String, Sendable, Codable {
    case running, paused, stopped
}
