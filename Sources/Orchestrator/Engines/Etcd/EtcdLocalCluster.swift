import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops the members of a local etcd cluster living in one directory: `etcd.json`,
/// and per member a data dir (on a tmpfs of its own when made as root, `EtcdMemberDisk`), a log
/// file and a pid file, all on loopback with free ports. Every
/// member runs with `--pre-vote`, so a member cut off and brought back does not depose a leader.
///
/// Process control is by signal: kill is SIGKILL (no goodbye to its peers), pause and resume
/// are SIGSTOP and SIGCONT, restart starts the member again on the data dir it had.
public struct EtcdLocalCluster: Sendable {
    public let directory: String
    /// The `etcd` executable.
    public let executable: String

    public init(directory: String, executable: String) {
        self.directory = (directory as NSString).standardizingPath
        self.executable = executable
    }

    /// A cluster in `directory` run by the `etcd` on PATH; fails with how to install it when there is none.
    public init(directory: String) throws {
        guard let etcd = Self.etcdOnPath() else {
            throw OrchestratorError("no etcd on PATH: install it (Debian: apt-get install etcd-server)")
        }
        self.init(directory: directory, executable: etcd)
    }

    /// The `etcd` executable on PATH, if any.
    public static func etcdOnPath() -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/etcd"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    var specPath: String { "\(directory)/etcd.json" }

    /// Whether `directory` holds a local etcd cluster.
    public static func exists(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: "\((directory as NSString).standardizingPath)/etcd.json")
    }

    public func load() throws -> EtcdClusterSpec {
        guard let data = FileManager.default.contents(atPath: specPath) else {
            throw OrchestratorError("\(specPath) is missing: \(directory) is not a local etcd cluster directory")
        }
        do {
            return try JSONDecoder().decode(EtcdClusterSpec.self, from: data)
        } catch {
            throw OrchestratorError("\(specPath) is not valid: \(error)")
        }
    }

    public func save(_ spec: EtcdClusterSpec) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try PrivateFiles.write(try encoder.encode(spec), to: specPath)
    }

    /// Writes `etcd.json` for `count` founding members on free loopback ports, or on their hosts'
    /// addresses in `network` (none is started, and the lab is not built here). With `disks` (as
    /// root) each member's data dir is on a tmpfs of its own, mounted here (`EtcdMemberDisk`);
    /// when the kernel refuses the mount the cluster is made without disks, as without root.
    public func create(members count: Int, memberArgs: [String] = [], network: NetnsLab? = nil,
                       disks: Bool = geteuid() == 0) throws -> EtcdClusterSpec {
        guard (1...15).contains(count) else { throw OrchestratorError("a local etcd cluster has 1 to 15 members (asked for \(count))") }
        if FileManager.default.fileExists(atPath: specPath) {
            throw OrchestratorError("\(directory) already holds an etcd cluster; use it, or remove the directory first")
        }
        if FileManager.default.fileExists(atPath: "\(directory)/cluster.json") {
            throw OrchestratorError("\(directory) holds a Flotilla cluster; give the etcd cluster a directory of its own")
        }
        try PrivateFiles.makeDirectory(directory)
        let token = "flotilla-etcd-" + (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let ports = network == nil ? try FreePorts.take(count * 2) : []
        var members = try (1...count).map { i in
            let name = "e\(i)"
            let disk = disks ? self.disk(for: name, token: token) : nil
            if let network {
                let host = try network.address(of: name)
                return member(name, peer: "\(host):\(Self.labPeerPort)", client: "\(host):\(Self.labClientPort)", initialCluster: "", state: "new",
                              disk: disk)
            }
            return member(name, peer: "127.0.0.1:\(ports[2 * (i - 1)])", client: "127.0.0.1:\(ports[2 * (i - 1) + 1])",
                          initialCluster: "", state: "new", disk: disk)
        }
        let everyone = EtcdClusterSpec.initialCluster(members)
        for i in members.indices { members[i].initialCluster = everyone }
        for m in members { try PrivateFiles.makeDirectory("\(directory)/\(m.name)") }
        if disks {
            // Mount every disk now: a kernel that refuses (no CAP_SYS_ADMIN) gets a cluster without disks.
            do {
                for m in members { try m.disk?.mount() }
            } catch {
                EtcdMemberDisk.unmountAll(under: directory)
                members = members.map { m in
                    member(m.name, peer: m.peerAddress, client: m.clientAddress, initialCluster: m.initialCluster, state: m.initialState, disk: nil)
                }
            }
        }
        let spec = EtcdClusterSpec(clusterToken: token, members: members, memberArgs: memberArgs,
                                   createdAt: ISO8601DateFormatter().string(from: Date()), network: network)
        try save(spec)
        return spec
    }

    /// etcd's own ports, used on every host of a lab (each namespace has ports of its own).
    static let labPeerPort = 2380
    static let labClientPort = 2379

    private func member(_ name: String, peer: String, client: String, initialCluster: String, state: String,
                        disk: EtcdMemberDisk? = nil) -> EtcdMemberSpec {
        EtcdMemberSpec(name: name, peerAddress: peer, clientAddress: client,
                       dataDir: disk.map { "\($0.mountPoint)/data" } ?? "\(directory)/\(name)/data", logFile: "\(directory)/\(name)/etcd.log",
                       pidFile: "\(directory)/\(name)/etcd.pid", initialCluster: initialCluster, initialState: state, disk: disk)
    }

    /// The tmpfs of member `name`: under its folder, its source named after the cluster's token.
    func disk(for name: String, token: String) -> EtcdMemberDisk {
        EtcdMemberDisk(mountPoint: "\(directory)/\(name)/disk", source: "\(token)-\(name)")
    }

    /// Where `down` keeps a member's data while its tmpfs is unmounted; `start` moves it back.
    func keptData(_ member: EtcdMemberSpec) -> String { "\(directory)/\(member.name)/data.kept" }

    /// Mounts `member`'s tmpfs if it has one and it is not mounted, and moves back the data `down` kept.
    func prepareDisk(_ member: EtcdMemberSpec) throws {
        guard let disk = member.disk, !disk.isMounted else { return }
        try disk.mount()
        let kept = keptData(member)
        if FileManager.default.fileExists(atPath: kept) {
            try FileManager.default.moveItem(atPath: kept, toPath: member.dataDir)
        }
    }

    /// Unmounts every member's tmpfs (after the members stopped), first moving each data dir off
    /// it when `keepingData` (`down` without `--purge`: the next `up` finds it again), and then
    /// anything else mounted under the directory. The mount points that would not go.
    @discardableResult
    public func releaseDisks(keepingData: Bool) -> [String] {
        if keepingData, let spec = try? load() {
            for m in spec.members {
                guard let disk = m.disk, disk.isMounted, FileManager.default.fileExists(atPath: m.dataDir) else { continue }
                disk.clear()
                try? FileManager.default.removeItem(atPath: keptData(m))
                do {
                    try FileManager.default.moveItem(atPath: m.dataDir, toPath: keptData(m))
                } catch {
                    note(m, "could not keep \(m.name)'s data off its tmpfs: \(error)")
                }
            }
        }
        return EtcdMemberDisk.unmountAll(under: directory)
    }

    /// Deletes `member`'s data dir (and a filler), so it starts again empty; its tmpfs stays mounted.
    public func wipeData(_ member: EtcdMemberSpec) throws {
        member.disk?.clear()
        try? FileManager.default.removeItem(atPath: keptData(member))
        if FileManager.default.fileExists(atPath: member.dataDir) {
            try FileManager.default.removeItem(atPath: member.dataDir)
        }
    }

    /// Records `member` as it is to start next (replace: the same name and addresses, joining an existing cluster).
    public func update(_ member: EtcdMemberSpec) throws {
        var spec = try load()
        guard let i = spec.members.firstIndex(where: { $0.name == member.name }) else {
            throw OrchestratorError("no member \(member.name) in \(specPath)")
        }
        spec.members[i] = member
        try save(spec)
    }

    /// Records a new member with the next free name and fresh ports, to join the members `current`
    /// (the cluster's membership now, by name) with `--initial-cluster-state existing`. Not started:
    /// the cluster must learn of it first (`member/add`). In a lab it gets a host number there
    /// (its host is made by `start`).
    public func planMember(joining current: [String]) throws -> EtcdMemberSpec {
        var spec = try load()
        let used = Set(spec.members.map(\.name))
        let n = (1...).first { !used.contains("e\($0)") }!
        let others = spec.members.filter { current.contains($0.name) }
        var joining: EtcdMemberSpec
        // A cluster made with disks gives the newcomer one too.
        let disk = spec.members.contains { $0.disk != nil } ? self.disk(for: "e\(n)", token: spec.clusterToken) : nil
        if let lab = spec.network {
            let grown = try lab.adding("e\(n)")
            let host = try grown.address(of: "e\(n)")
            spec.network = grown
            joining = member("e\(n)", peer: "\(host):\(Self.labPeerPort)", client: "\(host):\(Self.labClientPort)", initialCluster: "", state: "existing",
                             disk: disk)
        } else {
            let ports = try FreePorts.take(2)
            joining = member("e\(n)", peer: "127.0.0.1:\(ports[0])", client: "127.0.0.1:\(ports[1])", initialCluster: "", state: "existing",
                             disk: disk)
        }
        joining.initialCluster = EtcdClusterSpec.initialCluster(others + [joining])
        // A removed member's folder may remain; the new one must never start on its data.
        let folder = "\(directory)/\(joining.name)"
        if FileManager.default.fileExists(atPath: folder) {
            EtcdMemberDisk.unmountAll(under: folder)
            try FileManager.default.moveItem(atPath: folder, toPath: "\(folder).removed-\(Int(Date().timeIntervalSince1970))")
        }
        try PrivateFiles.makeDirectory(folder)
        spec.members.append(joining)
        try save(spec)
        return joining
    }

    /// In a lab, makes `name`'s host unless its namespace exists already (a name used before
    /// keeps its host); nothing on loopback.
    public func ensureHost(_ name: String) async throws {
        guard let lab = try load().network else { return }
        if try await NetnsLab.namespaces().contains(lab.namespace(of: name)) { return }
        try await lab.addHost(name)
    }

    /// Drops a member from `etcd.json`; its folder stays.
    public func forget(_ name: String) throws {
        var spec = try load()
        spec.members.removeAll { $0.name == name }
        try save(spec)
    }

    /// The `etcd` arguments that start `member` the first time (and, ignored then, every time after).
    public func arguments(_ member: EtcdMemberSpec, spec: EtcdClusterSpec) -> [String] {
        ["--name", member.name, "--data-dir", member.dataDir,
         "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
         "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
         "--initial-cluster", member.initialCluster, "--initial-cluster-state", member.initialState,
         "--initial-cluster-token", spec.clusterToken, "--pre-vote", "--log-level", "warn"] + spec.memberArgs
    }

    /// Starts `member` in the background in a session of its own (on its data dir when it has
    /// one); returns the running process when there is one already. In a lab it runs in its
    /// host's namespace (`ip netns exec` execs etcd in place: the pid is etcd's).
    @discardableResult
    public func start(_ member: EtcdMemberSpec, spec: EtcdClusterSpec) throws -> pid_t {
        if let pid = pid(of: member) { return pid }
        try prepareDisk(member)
        note(member, "starting \(member.name)")
        let argv = try spec.network.map { try $0.exec(in: member.name, [executable] + arguments(member, spec: spec)) }
            ?? [executable] + arguments(member, spec: spec)
        let pid = try Spawn.background(argv[0], Array(argv.dropFirst()), log: member.logFile)
        try PrivateFiles.write(Data("\(pid)\n".utf8), to: member.pidFile)
        return pid
    }

    /// The pid of a member's process if it is alive (reaping it first if it was our child and died).
    public func pid(of member: EtcdMemberSpec) -> pid_t? {
        guard let pid = recordedPid(member) else { return nil }
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
        return isAlive(pid) ? pid : nil
    }

    private func recordedPid(_ member: EtcdMemberSpec) -> pid_t? {
        guard let text = try? String(contentsOfFile: member.pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return nil }
        return pid
    }

    /// Whether the member's process runs, is stopped by SIGSTOP, or is gone.
    public func processState(_ member: EtcdMemberSpec) -> ProcessState {
        guard let pid = pid(of: member) else { return .stopped }
        switch Spawn.state(of: pid) {
        case nil, "Z", "X": return .stopped
        case "T", "t": return .paused
        default: return .running
        }
    }

    /// Why a member that is not running ended, from the end of its log since it was last started:
    /// the launcher's own line when an operator stopped it, else etcd's last critical line
    /// (`C | …`, or a Go panic), e.g. `mvcc/backend: cannot commit tx (… no space left on device)`.
    public func exit(of member: EtcdMemberSpec) -> NodeExit? {
        guard let tail = LogTail.read(member.logFile, bytes: 16 << 10) else { return nil }
        var lines = tail.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }
        if let start = lines.lastIndex(of: "flotilla: starting \(member.name)") { lines.removeFirst(start + 1) }
        if let said = lines.last(where: { $0.hasPrefix("flotilla: ") }) {
            return NodeExit(reason: String(said.dropFirst("flotilla: ".count)), byOperator: true)
        }
        if let critical = lines.last(where: { $0.contains(" C | ") }), let r = critical.range(of: " C | ") {
            return NodeExit(reason: String(critical[r.upperBound...]), byOperator: false)
        }
        if let panic = lines.last(where: { $0.hasPrefix("panic: ") }) { return NodeExit(reason: panic, byOperator: false) }
        return nil
    }

    /// SIGKILL, and waits until the process is gone; false when it was not running.
    @discardableResult
    public func kill(_ member: EtcdMemberSpec) async -> Bool {
        guard let pid = pid(of: member) else { return false }
        note(member, "\(member.name) killed by the operator (SIGKILL)")
        Glibc.kill(pid, SIGKILL)
        return await Spawn.waitForExit(pid, within: .seconds(5))
    }

    /// SIGSTOP: the member holds its sockets open and answers nothing, as a hung process does.
    @discardableResult
    public func pause(_ member: EtcdMemberSpec) -> Bool {
        guard let pid = pid(of: member) else { return false }
        note(member, "\(member.name) paused by the operator (SIGSTOP)")
        return Glibc.kill(pid, SIGSTOP) == 0
    }

    @discardableResult
    public func resume(_ member: EtcdMemberSpec) -> Bool {
        guard let pid = pid(of: member) else { return false }
        note(member, "\(member.name) resumed by the operator (SIGCONT)")
        return Glibc.kill(pid, SIGCONT) == 0
    }

    /// Stops a member (SIGCONT so a paused one can hear it, SIGTERM, then SIGKILL after `grace`).
    @discardableResult
    public func stop(_ member: EtcdMemberSpec, grace: Duration = .seconds(5)) async -> Bool {
        guard let pid = pid(of: member) else { return true }
        note(member, "\(member.name) stopped by the operator (SIGTERM)")
        Glibc.kill(pid, SIGCONT)
        Glibc.kill(pid, SIGTERM)
        if await Spawn.waitForExit(pid, within: grace) { return true }
        Glibc.kill(pid, SIGKILL)
        return await Spawn.waitForExit(pid, within: .seconds(5))
    }

    /// Stops every member of `etcd.json`; true when all are gone.
    public func stopAll() async -> Bool {
        guard let spec = try? load() else { return true }
        var all = true
        for m in spec.members where !(await stop(m)) { all = false }
        return all
    }

    /// SIGKILLs the supervisor `up` started (first, so it starts nothing again) and every member
    /// recorded in `etcd.json` at once, without waiting, and detaches every tmpfs under the
    /// directory (lazily where a dying member still holds it): for a test's or a command's last
    /// line of defence, where nothing may be awaited.
    public func killAllNow() {
        if let supervisor = Launcher(directory: directory).supervisorPid() { Glibc.kill(supervisor, SIGKILL) }
        if let spec = try? load() {
            for m in spec.members {
                if let pid = pid(of: m) { Glibc.kill(pid, SIGKILL) }
            }
        }
        EtcdMemberDisk.unmountAll(under: directory)
    }

    /// Appends a launcher's line to a member's log, so the log says who stopped it.
    func note(_ member: EtcdMemberSpec, _ text: String) {
        let fd = open(member.logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let line = Array("flotilla: \(text)\n".utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}
