import FlotillaAPI
import Foundation

/// The directed links a link-fault spec names: `n1->n2` (n1's messages to n2), `n1<->n2`
/// (both ways), `n3` (every link out of and into n3), or `all` (every node's fault on every link).
public enum LinkSelection: Sendable, Equatable {
    case all
    /// Pairs of (sender, receiver).
    case links([Link])

    public struct Link: Sendable, Equatable, Hashable {
        public var from: String
        public var to: String
    }

    public static func parse(_ text: String, members: [String]) throws -> LinkSelection {
        let t = text.trimmingCharacters(in: .whitespaces)
        func node(_ s: some StringProtocol) throws -> String {
            let id = s.trimmingCharacters(in: .whitespaces)
            guard members.contains(id) else {
                throw OrchestratorError("unknown node \(id.isEmpty ? "\"\"" : id); the nodes are \(members.joined(separator: ", "))")
            }
            return id
        }
        if t == "all" { return .all }
        for (arrow, bothWays) in [("<->", true), ("->", false)] where t.contains(arrow) {
            let ends = t.components(separatedBy: arrow)
            guard ends.count == 2 else { throw OrchestratorError("a link is FROM->TO or A<->B, e.g. n1->n2 (got \"\(t)\")") }
            let (a, b) = (try node(ends[0]), try node(ends[1]))
            guard a != b else { throw OrchestratorError("a link joins two different nodes (got \"\(t)\")") }
            return .links(bothWays ? [Link(from: a, to: b), Link(from: b, to: a)] : [Link(from: a, to: b)])
        }
        let id = try node(t)
        return .links(members.filter { $0 != id }.flatMap { [Link(from: id, to: $0), Link(from: $0, to: id)] })
    }

    /// The directed links `text` names among `members`, `all` spelled out as every ordered pair.
    public static func directed(_ text: String, members: [String]) throws -> [Link] {
        switch try parse(text, members: members) {
        case .all: members.flatMap { a in members.filter { $0 != a }.map { Link(from: a, to: $0) } }
        case .links(let named): named
        }
    }
}

extension ClusterControl {
    /// Holds the messages on the links of `spec` back `ms` ± `jitter` ms; 0 clears it.
    public func delay(_ spec: String, ms: Int, jitter: Int = 0) async throws {
        if let delays = packetDelays { return try await kernelDelay(delays, spec, ms: ms, jitter: jitter) }
        let action = OperatorAction(verb: "delay", target: spec, args: ["ms": "\(ms)", "jitter": "\(jitter)"])
        try await setLinkFault(spec, "delay \(ms)ms" + (jitter > 0 ? "±\(jitter)" : ""), action) {
            guard (0...LinkFaultSpec.maxMs).contains(ms), (0...LinkFaultSpec.maxMs).contains(jitter) else {
                throw OrchestratorError("a delay and its jitter must be between 0 and \(LinkFaultSpec.maxMs) ms")
            }
            return { $0.delayMs = ms; $0.jitterMs = jitter }
        }
    }

    /// Loses this share of the messages on the links of `spec`; 0 clears it.
    public func loss(_ spec: String, fraction: Double) async throws {
        if let kernel = kernelFaults { return try await kernelLoss(kernel, spec, fraction: fraction) }
        try await setChance("loss", spec, fraction, \.loss)
    }

    /// Sends this share of the messages on the links of `spec` twice; 0 clears it.
    public func duplicate(_ spec: String, fraction: Double) async throws {
        try await setChance("duplicate", spec, fraction, \.duplicate)
    }

    /// Holds this share of the messages on the links of `spec` back behind later ones; 0 clears it.
    public func reorder(_ spec: String, fraction: Double) async throws {
        if let delays = packetDelays { return try await kernelReorder(delays, spec, fraction: fraction) }
        try await setChance("reorder", spec, fraction, \.reorder)
    }

    private func setChance(_ verb: String, _ spec: String, _ fraction: Double, _ field: WritableKeyPath<LinkFaultSpec, Double>) async throws {
        let action = OperatorAction(verb: verb, target: spec, args: ["fraction": "\(fraction)"])
        try await setLinkFault(spec, "\(verb) \(LinkFaultSpec.percent(fraction))", action) {
            guard (0...1).contains(fraction) else { throw OrchestratorError("\(verb) must be between 0 and 1 (0% and 100%)") }
            return { $0[keyPath: field] = fraction }
        }
    }

    /// Reads the rules of every node the spec touches, changes the named links' fault with
    /// what `check` returns (after it validated the values), and writes the rules back, so drops
    /// and the other link faults stay as they were.
    private func setLinkFault(_ spec: String, _ what: String, _ action: OperatorAction,
                              _ check: () throws -> (inout LinkFaultSpec) -> Void) async throws {
        let s = await snapshot()
        try await act("\(what) on \(spec)", action) {
            let change = try check()
            let selection = try LinkSelection.parse(spec, members: s.nodes.map(\.id))
            // Each link's rule lives on the node that sends over it.
            let ids: [String]
            switch selection {
            case .all: ids = s.nodes.map(\.id)
            case .links(let links): ids = s.nodes.map(\.id).filter { id in links.contains { $0.from == id } }
            }
            let (_, summary) = try await rewriteRules(of: ids, in: s) { id, rules in
                switch selection {
                case .all:
                    change(&rules.everyLink)
                case .links(let links):
                    for link in links where link.from == id { change(&rules.links[link.to, default: LinkFaultSpec()]) }
                    rules.links = rules.links.filter { !$0.value.isClean }
                }
            }
            return ((), summary)
        }
    }
}
