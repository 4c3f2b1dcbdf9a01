import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Delay, jitter and reordering in the kernel for a `NetnsLab`: per directed member link, an
/// NFQUEUE rule in the switch namespace's `ip filter` table, and one releaser process per run
/// (`flotilla packet-releaser`) that holds the queued packets (see `PacketDelayReleaser` for
/// why the rule sits there and not in the run's bridge table: this kernel's nftables has no
/// `queue`, only iptables' NFQUEUE target through nft_compat; the table is iptables-nft's, in a
/// namespace only this run has). Where netem exists it could do this; NFQUEUE works on both.
///
/// The releaser is a detached process recorded in the cluster directory
/// (`packet-delay.pid`, its plan `packet-delay.json`, its counts `packet-delay-stats.json`,
/// its log `packet-delay.log`), not a task of the command that set the delay: `flotilla delay`
/// exits at once while the nodes keep running, and a queued packet with no releaser is
/// dropped, so the releaser must live as long as the rules do. It lives in the switch
/// namespace, so `down` (which kills whatever runs in the run's namespaces) ends it too; heal
/// deletes the rules, removes the plan (the releaser hands back what it holds and exits), and
/// verifies both by listing.
public struct PacketDelays: Sendable {
    public let lab: NetnsLab
    /// The cluster directory, where the releaser's files live.
    public let directory: String
    /// The `flotilla` executable that runs the releaser.
    public let executable: String

    public init(lab: NetnsLab, directory: String, executable: String) {
        self.lab = lab
        self.directory = directory
        self.executable = executable
    }

    var planPath: String { "\(directory)/packet-delay.json" }
    var pidPath: String { "\(directory)/packet-delay.pid" }
    public var statsPath: String { "\(directory)/packet-delay-stats.json" }
    var logPath: String { "\(directory)/packet-delay.log" }

    /// The table iptables-nft keeps its rules in, in the switch namespace.
    public static let table = "ip filter"

    /// Where iptables-nft is, or nil when it is not installed.
    public static var iptablesPath: String? {
        ["/usr/sbin/iptables-nft", "/sbin/iptables-nft", "/usr/bin/iptables-nft"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func iptables(in namespace: String, _ args: [String]) async throws -> String {
        guard let path = iptablesPath else { throw OrchestratorError("iptables-nft is not installed (Debian: apt-get install iptables); kernel delay needs its NFQUEUE target") }
        return try await NetworkTool.ip(["netns", "exec", namespace, path] + args)
    }

    // MARK: - Rules

    /// The delays in force, as the kernel lists them (`iptables-nft -S FORWARD` in the switch namespace).
    public func rules() async throws -> [DelayRule] {
        guard try await tableExists() else { return [] }
        return try await listed().sorted()
    }

    private func listed() async throws -> [DelayRule] {
        let text = try await Self.iptables(in: lab.switchNamespace, ["-S", "FORWARD"])
        return text.split(separator: "\n").filter { $0.contains("-j NFQUEUE") }.compactMap(DelayRule.parse(comment:))
    }

    /// Makes `rules` the whole set of kernel delays (none: `heal`), with the releaser running
    /// the same plan, and reads both back; throws when either tells otherwise.
    public func set(_ rules: [DelayRule]) async throws {
        var wanted: [DelayRule] = []
        for r in rules.sorted() where !r.isClean && !wanted.contains(where: { $0.from == r.from && $0.to == r.to }) {
            guard r.from != r.to else { throw OrchestratorError("a link joins two different members, not \(r.from) and itself") }
            guard (0...100).contains(r.reorderPercent) else { throw OrchestratorError("a share is 0% to 100%, not \(r.reorderPercent)%") }
            guard r.delayMs >= 0, r.jitterMs >= 0, r.delayMs <= 60_000, r.jitterMs <= 60_000 else {
                throw OrchestratorError("a delay and its jitter are 0 to 60000 ms")
            }
            _ = try lab.address(of: r.from)
            _ = try lab.address(of: r.to)
            wanted.append(r)
        }
        if wanted.isEmpty {
            let left = try await heal()
            guard left.isEmpty else { throw OrchestratorError("kernel delay not cleared: \(left.joined(separator: ", "))") }
            return
        }
        try await routeBridgedFramesThroughIPHooks()
        let old = PacketDelayPlan.read(planPath)
        let plan = PacketDelayPlan(revision: (old?.revision ?? 0) + 1, seed: old?.seed ?? UInt64.random(in: 0...UInt64.max),
                                   rules: wanted, addresses: Dictionary(uniqueKeysWithValues: try lab.members.map { ($0, try lab.address(of: $0)) }))
        try plan.write(to: planPath)
        // The releaser first: a rule with nobody bound to its queue drops what it queues.
        try await ensureReleaser(revision: plan.revision)
        var lines = ["*filter", ":FORWARD ACCEPT [0:0]"]
        for r in wanted {
            lines.append("-A FORWARD -s \(try lab.address(of: r.from))/32 -d \(try lab.address(of: r.to))/32 -m comment --comment \"\(r.comment)\" -j NFQUEUE --queue-num \(plan.queue)")
        }
        lines.append("COMMIT")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-delay-\(lab.run)-\(UUID().uuidString).rules").path
        try PrivateFiles.write(lines.joined(separator: "\n") + "\n", to: file)
        defer { unlink(file) }
        guard let restore = Self.iptablesPath.map({ ($0 as NSString).deletingLastPathComponent + "/iptables-nft-restore" }),
              FileManager.default.isExecutableFile(atPath: restore) else { throw OrchestratorError("iptables-nft-restore is not installed") }
        // One transaction replaces the table's rules (restore flushes what it loads).
        try await NetworkTool.ip(["netns", "exec", lab.switchNamespace, restore, file])
        let got = try await listed()
        guard Set(got) == Set(wanted) else {
            throw OrchestratorError("the switch's FORWARD chain reads back other delays than were set: wanted \(wanted), listed \(got.sorted())")
        }
    }

    /// Frames a bridge forwards reach the `ip` hooks only while `bridge-nf-call-iptables` is on
    /// in the bridge's namespace (it is, in a new namespace here); turned on where it is not.
    private func routeBridgedFramesThroughIPHooks() async throws {
        let key = "/proc/sys/net/bridge/bridge-nf-call-iptables"
        let value = try await NetworkTool.ip(["netns", "exec", lab.switchNamespace, "/bin/cat", key]).trimmingCharacters(in: .whitespacesAndNewlines)
        guard value != "1" else { return }
        try await NetworkTool.ip(["netns", "exec", lab.switchNamespace, "/bin/sh", "-c", "echo 1 > \(key)"])
    }

    // MARK: - The releaser

    /// The releaser's pid, if one runs for this run (its pid file names a live `packet-releaser`).
    public func releaserPid() -> pid_t? {
        guard let text = try? String(contentsOfFile: pidPath, encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), isAlive(pid) else { return nil }
        let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return cmdline.contains("packet-releaser") ? pid : nil
    }

    /// What the releaser last reported, when one runs.
    public func stats() -> PacketDelayStats? {
        guard let pid = releaserPid(), let s = PacketDelayStats.read(statsPath), s.pid == pid else { return nil }
        return s
    }

    /// Starts the releaser when none runs, and waits (5 s at most) until it reports `revision`.
    private func ensureReleaser(revision: Int) async throws {
        var pid = releaserPid()
        if pid == nil {
            unlink(statsPath)
            let argv = [NetworkTool.ipPath ?? "ip", "netns", "exec", lab.switchNamespace, executable, "packet-releaser", "--plan", planPath, "--stats", statsPath]
            let started = try Spawn.background(argv[0], Array(argv.dropFirst()), log: logPath)
            try PrivateFiles.write("\(started)\n", to: pidPath)
            pid = started
        }
        let taken = await Poll.until(.seconds(5), every: .milliseconds(20)) { () -> Bool? in
            if let s = PacketDelayStats.read(statsPath), s.pid == pid, s.revision >= revision { return true }
            if let pid, !isAlive(pid) { return false }
            return nil
        }
        if taken == true { return }
        let log = ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").suffix(3).joined(separator: " / ")
        throw OrchestratorError("the packet releaser did not take plan revision \(revision) within 5 s" + (log.isEmpty ? "" : ": \(log)"))
    }

    // MARK: - Heal

    /// Deletes the rules (the `ip filter` table of the switch namespace), then stops the
    /// releaser (it hands back what it holds; SIGKILL after 3 s), and lists both: what is left,
    /// empty once healed.
    @discardableResult
    public func heal() async throws -> [String] {
        if try await tableExists() {
            try await NetworkTool.nft(in: lab.switchNamespace, ["delete", "table", "ip", "filter"])
        }
        unlink(planPath)
        if let pid = releaserPid() {
            if !(await Spawn.waitForExit(pid, within: .seconds(3))) {
                kill(pid, SIGKILL)
                _ = await Spawn.waitForExit(pid, within: .seconds(3))
            }
        }
        let left = try await leftovers()
        if left.isEmpty { unlink(pidPath) }
        return left
    }

    /// What of the kernel delay is still there: the table (`nft list tables` in the switch
    /// namespace) and a live releaser.
    public func leftovers() async throws -> [String] {
        var left: [String] = []
        if try await tableExists() { left.append("table \(Self.table) in \(lab.switchNamespace)") }
        if let pid = releaserPid() { left.append("packet releaser pid \(pid)") }
        return left
    }

    /// Whether `nft list tables` in the switch namespace lists `ip filter`.
    public func tableExists() async throws -> Bool {
        let tables = try await NetworkTool.nft(in: lab.switchNamespace, ["list", "tables"])
        return tables.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "table \(Self.table)" }
    }

    /// Why kernel delay cannot be used here, or nil when it can: iptables-nft is installed and
    /// a probe namespace takes an NFQUEUE rule (the kernel has the target).
    public static func unavailableReason() async -> String? {
        if let reason = await NetworkTool.unavailableReason() { return reason }
        guard iptablesPath != nil else { return "iptables-nft is not installed (Debian: iptables); kernel delay needs its NFQUEUE target" }
        let probe = "flotilla-probe-\(String(format: "%06x", UInt32.random(in: 0...0xFFFFFF)))"
        do {
            try await NetworkTool.ip(["netns", "add", probe])
        } catch {
            return "network namespaces cannot be made here: \(error)"
        }
        do {
            _ = try await iptables(in: probe, ["-A", "FORWARD", "-j", "NFQUEUE", "--queue-num", "0"])
        } catch {
            _ = try? await NetworkTool.ip(["netns", "delete", probe])
            return "the kernel takes no NFQUEUE rule: \(error)"
        }
        _ = try? await NetworkTool.ip(["netns", "delete", probe])
        return nil
    }
}
