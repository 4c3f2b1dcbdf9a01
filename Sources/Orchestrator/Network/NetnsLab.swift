import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A network of Linux network namespaces for one run: every member is a host of its own
/// (namespace `flotilla-RUN-ID`, loopback up, `eth0` with 10.A.B.H/24), all plugged into a
/// bridge that lives in a switch namespace (`flotilla-RUN-sw`). The switch has one more port,
/// `flRUNup` in the root namespace with 10.A.B.254, so the operator's tools reach every
/// member's admin API from the root namespace.
///
/// The bridge has a namespace of its own, not the root's, so that nothing of a run but that
/// one uplink touches the host's network, deleting the switch namespace takes the bridge,
/// every port and the nftables table with it, and the fault rules (`KernelFaults`) sit where
/// every member's frames pass. Everything it makes carries the run's name; nothing else is
/// touched. Stored in cluster.json, so `down` and other processes find the same lab.
public struct NetnsLab: Codable, Sendable, Equatable {
    /// Six hex digits naming every namespace, link and table of the run.
    public var run: String
    /// The first three octets of the run's /24, e.g. `10.213.7`.
    public var subnet: String
    /// Each member's host number in the subnet (1…253).
    public var hosts: [String: Int]

    /// The prefix of every namespace a lab makes.
    public static let namespacePrefix = "flotilla-"

    public init(run: String, subnet: String, hosts: [String: Int]) {
        self.run = run
        self.subnet = subnet
        self.hosts = hosts
    }

    /// A new lab's plan for `members` (hosts 1, 2, … in order): a fresh run name and a /24 in
    /// 10.0.0.0/8 that no address or route of the root namespace uses yet. Nothing is made.
    public static func plan(members: [String]) async throws -> NetnsLab {
        guard members.count <= 200 else { throw OrchestratorError("a namespace lab holds at most 200 members") }
        let used = try await NetworkTool.ip(["-4", "route", "show", "table", "all"]) + (try await NetworkTool.ip(["-4", "-o", "addr"]))
        for _ in 0..<64 {
            let subnet = "10.\(Int.random(in: 100...250)).\(Int.random(in: 0...255))"
            guard !used.contains(subnet + ".") else { continue }
            let run = String(format: "%06x", UInt32.random(in: 0...0xFFFFFF))
            let hosts = Dictionary(uniqueKeysWithValues: members.enumerated().map { ($0.element, $0.offset + 1) })
            return NetnsLab(run: run, subnet: subnet, hosts: hosts)
        }
        throw OrchestratorError("found no free /24 in 10.100.0.0-10.250.255.0 for the namespace lab")
    }

    // MARK: - Names and addresses

    public var switchNamespace: String { "\(Self.namespacePrefix)\(run)-sw" }
    public func namespace(of id: String) -> String { "\(Self.namespacePrefix)\(run)-\(id)" }
    /// The uplink's end in the root namespace (interface names are at most 15 bytes).
    public var uplink: String { "fl\(run)up" }
    /// The root namespace's address on the lab's network.
    public var rootAddress: String { "\(subnet).254" }
    /// The nftables table of the run's kernel faults, in the switch namespace.
    public var tableName: String { "flotilla_\(run)" }
    public var members: [String] { hosts.keys.sorted { hosts[$0]! < hosts[$1]! } }

    /// A member's address, without a port.
    public func address(of id: String) throws -> String {
        guard let h = hosts[id] else { throw OrchestratorError("\(id) has no namespace in lab \(run); its members are \(members.joined(separator: ", "))") }
        return "\(subnet).\(h)"
    }

    /// The command line that runs `argv` inside `id`'s namespace (`ip netns exec` execs it in
    /// place, so the pid spawned is the pid of the program itself).
    public func exec(in id: String, _ argv: [String]) throws -> [String] {
        guard hosts[id] != nil else { throw OrchestratorError("\(id) has no namespace in lab \(run)") }
        guard let ip = NetworkTool.ipPath else { throw OrchestratorError("iproute2's `ip` is not installed") }
        return [ip, "netns", "exec", namespace(of: id)] + argv
    }

    // MARK: - Building

    /// Makes the switch, the uplink and every member's host. A failure part way removes what
    /// was made and throws.
    public func build() async throws {
        do {
            let sw = switchNamespace
            try await NetworkTool.ip(["netns", "add", sw])
            try await NetworkTool.ip(["-n", sw, "link", "set", "lo", "up"])
            try await NetworkTool.ip(["-n", sw, "link", "add", "br0", "type", "bridge"])
            try await NetworkTool.ip(["-n", sw, "link", "set", "br0", "up"])
            try await NetworkTool.ip(["link", "add", uplink, "type", "veth", "peer", "name", "up0", "netns", sw])
            try await NetworkTool.ip(["-n", sw, "link", "set", "up0", "master", "br0", "up"])
            try await NetworkTool.ip(["addr", "add", "\(rootAddress)/24", "dev", uplink])
            try await NetworkTool.ip(["link", "set", uplink, "up"])
            for id in members { try await addHost(id) }
        } catch {
            try? await teardown()
            throw error
        }
    }

    /// Makes `id`'s host: its namespace, loopback up, and `eth0` on a new port of the bridge.
    public func addHost(_ id: String) async throws {
        let ns = namespace(of: id)
        let address = try address(of: id)
        let port = "p\(hosts[id]!)"
        try await NetworkTool.ip(["netns", "add", ns])
        try await NetworkTool.ip(["-n", ns, "link", "set", "lo", "up"])
        try await NetworkTool.ip(["-n", switchNamespace, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns])
        try await NetworkTool.ip(["-n", switchNamespace, "link", "set", port, "master", "br0", "up"])
        try await NetworkTool.ip(["-n", ns, "addr", "add", "\(address)/24", "dev", "eth0"])
        try await NetworkTool.ip(["-n", ns, "link", "set", "eth0", "up"])
    }

    /// Makes `id`'s host unless its namespace exists already (a name used before keeps its
    /// host number, and its namespace while it stands).
    public func ensureHost(_ id: String) async throws {
        if try await Self.namespaces().contains(namespace(of: id)) { return }
        try await addHost(id)
    }

    /// Takes down `id`'s host: SIGKILLs what is left in its namespace, deletes the namespace
    /// (its `eth0` and the bridge's port go with it) and checks that `ip netns list` no longer
    /// lists it. Its host number stays reserved for the name.
    public func removeHost(_ id: String) async throws {
        let ns = namespace(of: id)
        guard try await Self.namespaces().contains(ns) else { return }
        for pid in try await Self.pids(in: ns) { kill(pid, SIGKILL) }
        try await NetworkTool.ip(["netns", "delete", ns])
        if try await Self.namespaces().contains(ns) { throw OrchestratorError("namespace \(ns) is still listed after its deletion") }
    }

    /// A copy with one more member, on the lowest free host number (its host is not made).
    public func adding(_ id: String) throws -> NetnsLab {
        guard hosts[id] == nil else { return self }
        let taken = Set(hosts.values)
        guard let h = (1...253).first(where: { !taken.contains($0) }) else { throw OrchestratorError("lab \(run) is full") }
        var copy = self
        copy.hosts[id] = h
        return copy
    }

    /// Whether the switch namespace exists (the lab was built and not torn down).
    public func exists() async throws -> Bool {
        try await Self.namespaces().contains(switchNamespace)
    }

    // MARK: - Tearing down

    /// Kills every process left in the run's namespaces (they can only be the run's own), then
    /// deletes every namespace of the run, which takes its links, the bridge and the nftables
    /// table along, and waits (up to 5 s) until `leftovers()` is empty; throws naming what is left.
    public func teardown() async throws {
        try await Self.remove(run: run)
        let (left, _) = try await Poll.latest(.seconds(5), every: .milliseconds(50), read: { try await leftovers() }, until: \.isEmpty)
        guard left.isEmpty else { throw OrchestratorError("lab \(run) left behind: \(left.joined(separator: ", "))") }
    }

    /// What of the run still exists: its namespaces (`ip netns list`), links in the root
    /// namespace (`ip link`) and nftables tables in the root namespace (`nft list tables`).
    public func leftovers() async throws -> [String] {
        var left = try await Self.namespaces().filter { $0.hasPrefix("\(Self.namespacePrefix)\(run)-") }.map { "namespace \($0)" }
        let links = try await NetworkTool.ip(["-o", "link"])
        left += links.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: ":", maxSplits: 2)
            guard fields.count > 1 else { return nil }
            let name = fields[1].trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? ""
            return name.hasPrefix("fl\(run)") ? "link \(name)" : nil
        }
        if let nft = NetworkTool.nftPath {
            let tables = try await NetworkTool.run(nft, ["list", "tables"])
            left += tables.split(separator: "\n").filter { $0.contains(tableName) }.map { "nftables \($0)" }
        }
        return left
    }

    /// Removes the leftovers of runs that died: every run (namespaces named `flotilla-RUN-…`)
    /// none of whose namespaces holds a process and whose switch namespace is older than
    /// `olderThan` (so a lab being built is not taken for a dead one). `only` limits it to one
    /// run. Returns the runs removed.
    @discardableResult
    public static func sweep(olderThan: Duration = .seconds(60), only: String? = nil) async throws -> [String] {
        let all = try await namespaces().filter { $0.hasPrefix(namespacePrefix) }
        var runs: [String: [String]] = [:]
        for ns in all {
            let rest = ns.dropFirst(namespacePrefix.count)
            guard let dash = rest.firstIndex(of: "-") else { continue }
            let run = String(rest[..<dash])
            guard run.count == 6, run.allSatisfy(\.isHexDigit) else { continue }
            runs[run, default: []].append(ns)
        }
        var removed: [String] = []
        for (run, names) in runs.sorted(by: { $0.key < $1.key }) where only == nil || only == run {
            var busy = false
            for ns in names where !(try await pids(in: ns)).isEmpty { busy = true }
            if busy { continue }
            let age = names.map(ageOfNamespace).max() ?? .zero
            guard age >= olderThan else { continue }
            try await remove(run: run)
            removed.append(run)
        }
        return removed
    }

    /// The names `ip netns list` gives.
    static func namespaces() async throws -> [String] {
        try await NetworkTool.ip(["netns", "list"]).split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// The processes in namespace `ns`.
    static func pids(in ns: String) async throws -> [pid_t] {
        let text = (try? await NetworkTool.ip(["netns", "pids", ns])) ?? ""
        return text.split(whereSeparator: \.isWhitespace).compactMap { pid_t(String($0)) }
    }

    /// How long ago the namespace's name was bound under /run/netns.
    static func ageOfNamespace(_ ns: String) -> Duration {
        var st = stat()
        guard stat("/run/netns/\(ns)", &st) == 0 else { return .zero }
        let seconds = Date().timeIntervalSince1970 - (Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
        return .milliseconds(Int64(max(0, seconds) * 1000))
    }

    /// SIGKILLs what runs in the run's namespaces, then deletes them, members first.
    static func remove(run: String) async throws {
        let names = try await namespaces().filter { $0.hasPrefix("\(namespacePrefix)\(run)-") }
        for ns in names {
            for pid in try await pids(in: ns) { kill(pid, SIGKILL) }
        }
        var failures: [String] = []
        for ns in names.filter({ !$0.hasSuffix("-sw") }) + names.filter({ $0.hasSuffix("-sw") }) {
            do { try await NetworkTool.ip(["netns", "delete", ns]) } catch { failures.append("\(error)") }
        }
        if !failures.isEmpty { throw OrchestratorError(failures.joined(separator: "; ")) }
    }
}
