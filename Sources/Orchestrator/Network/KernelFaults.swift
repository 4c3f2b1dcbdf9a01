import ClusterRules
import FlotillaAPI
import Foundation

/// Network faults the kernel makes, for any process in a `NetnsLab`: rules in one nftables
/// table the run owns, `bridge flotilla_RUN` in the switch namespace, on the bridge's forward
/// hook, where every frame between two members passes. Only member-to-member frames match, so
/// the operator's traffic from the root namespace (the admin API) always flows.
///
/// The table is of the bridge family, not inet: frames forwarded by a bridge pass the inet
/// hooks only through br_netfilter, a module this kernel may lack and that cannot be loaded.
///
/// The rules live in the kernel and nowhere else: each change reads the table, edits the rule
/// set, replaces the table in one `nft -f` transaction and reads it back, so two processes
/// (the CLI, the console) see one truth. Delay, jitter and reordering are `PacketDelays`
/// (NFQUEUE rules and a releaser process; this kernel has no netem).
public struct KernelFaults: Sendable {
    public let lab: NetnsLab

    public init(lab: NetnsLab) { self.lab = lab }

    public var table: String { lab.tableName }

    // MARK: - Faults

    /// The rules in force, as the kernel lists them (none when the table is absent).
    public func rules() async throws -> [LinkRule] {
        guard try await tableExists() else { return [] }
        let text = try await NetworkTool.nft(in: lab.switchNamespace, ["list", "table", "bridge", table])
        return text.split(separator: "\n").compactMap(LinkRule.parse(comment:)).sorted()
    }

    /// Makes `rules` the whole rule set (none: the table is deleted) and reads it back;
    /// throws when the kernel lists anything else.
    public func set(_ rules: [LinkRule]) async throws {
        var wanted: [LinkRule] = []
        for r in rules.sorted() where r.percent > 0 && !wanted.contains(where: { $0.from == r.from && $0.to == r.to }) {
            guard r.from != r.to else { throw OrchestratorError("a link joins two different members, not \(r.from) and itself") }
            guard r.percent <= 100 else { throw OrchestratorError("a share is 0% to 100%, not \(r.percent)%") }
            wanted.append(r)
        }
        if wanted.isEmpty {
            guard try await heal() else { throw OrchestratorError("table \(table) is still listed after its deletion") }
            return
        }
        var lines = ["table bridge \(table)", "delete table bridge \(table)", "table bridge \(table) {", "  chain links {",
                     "    type filter hook forward priority -200; policy accept;"]
        var expected: [String] = []
        for r in wanted {
            let statement = r.statement(fromAddress: try lab.address(of: r.from), toAddress: try lab.address(of: r.to))
            expected.append(statement)
            lines.append("    " + statement)
        }
        lines += ["  }", "}"]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-\(table)-\(UUID().uuidString).nft").path
        try PrivateFiles.write(lines.joined(separator: "\n") + "\n", to: file)
        defer { unlink(file) }
        try await NetworkTool.nft(in: lab.switchNamespace, ["-f", file])
        let listed = try await NetworkTool.nft(in: lab.switchNamespace, ["list", "table", "bridge", table])
        let got = Set(listed.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.contains("comment \"flotilla ") })
        guard got == Set(expected) else {
            throw OrchestratorError("table \(table) reads back other rules than were set: wanted \(expected), listed \(got.sorted())")
        }
    }

    /// Groups that must not hear each other; members named in no group form one more group.
    /// Replaces every cut, keeps the loss rules.
    public func partition(_ groups: [[String]]) async throws {
        try await apply(try PartitionPlan.groups(groups, members: lab.members))
    }

    /// Cuts `id` off from every other member, both ways.
    public func isolate(_ id: String) async throws {
        _ = try lab.address(of: id)
        try await partition([[id]])
    }

    /// Drops every frame `from` sends to `to` (the other way keeps flowing), on top of the rules in force.
    public func cut(from: String, to: String) async throws {
        try await loss(from: from, to: to, percent: 100)
    }

    /// Drops `percent` of `from`'s frames to `to`, chosen at random per frame (`numgen random`);
    /// 0 clears that link's rule, 100 is a cut.
    public func loss(from: String, to: String, percent: Int) async throws {
        _ = try lab.address(of: from)
        _ = try lab.address(of: to)
        var rules = try await rules().filter { !($0.from == from && $0.to == to) }
        if percent > 0 { rules.append(LinkRule(from: from, to: to, percent: percent)) }
        try await set(rules)
    }

    /// Loss of `percent` on every link `spec` names among `members` (`n1->n2`, `n1<->n2`, `n3`,
    /// `all`), replacing those links' earlier rules in one write; 0 clears them. The links it set.
    @discardableResult
    public func loss(_ spec: String, members: [String], percent: Int) async throws -> [LinkSelection.Link] {
        let links: [LinkSelection.Link]
        switch try LinkSelection.parse(spec, members: members) {
        case .all: links = members.flatMap { a in members.filter { $0 != a }.map { LinkSelection.Link(from: a, to: $0) } }
        case .links(let named): links = named
        }
        var rules = try await rules().filter { r in !links.contains { $0.from == r.from && $0.to == r.to } }
        if percent > 0 { rules += links.map { LinkRule(from: $0.from, to: $0.to, percent: percent) } }
        try await set(rules)
        return links
    }

    /// Removes the cuts on `links` only; loss on them and every other rule stay. The cuts removed.
    @discardableResult
    public func mend(_ links: [LinkSelection.Link]) async throws -> [LinkRule] {
        let all = try await rules()
        let removed = all.filter { r in r.isCut && links.contains { $0.from == r.from && $0.to == r.to } }
        if !removed.isEmpty { try await set(all.filter { !removed.contains($0) }) }
        return removed
    }

    /// Makes the network the shape `plan` describes: the cuts its rules name replace every cut
    /// in force (loss on the other links stays). A node's rule drops what it sends to its
    /// peers (`out`), what it hears from them (`in`), or both.
    public func apply(_ plan: PartitionPlan) async throws {
        var cuts = Set<DirectedLink>()
        for (id, spec) in plan.rules {
            for peer in spec.drop {
                switch spec.direction {
                case .out: cuts.insert(DirectedLink(id, peer))
                case .in: cuts.insert(DirectedLink(peer, id))
                default:
                    cuts.insert(DirectedLink(id, peer))
                    cuts.insert(DirectedLink(peer, id))
                }
            }
        }
        let losses = try await rules().filter { !$0.isCut && !cuts.contains(DirectedLink($0.from, $0.to)) }
        try await set(losses + cuts.map { LinkRule(from: $0.from, to: $0.to) })
    }

    // MARK: - Heal

    /// Deletes the table, then lists the switch's tables (`nft list tables`); true once the
    /// table is no longer listed.
    @discardableResult
    public func heal() async throws -> Bool {
        if try await tableExists() {
            try await NetworkTool.nft(in: lab.switchNamespace, ["delete", "table", "bridge", table])
        }
        return !(try await tableExists())
    }

    /// Whether `nft list tables` in the switch namespace lists the run's table.
    public func tableExists() async throws -> Bool {
        let tables = try await NetworkTool.nft(in: lab.switchNamespace, ["list", "tables"])
        return tables.split(separator: "\n").contains { $0.split(separator: " ").last.map(String.init) == table }
    }
}
