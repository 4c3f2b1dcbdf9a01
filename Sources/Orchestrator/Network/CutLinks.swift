import ClusterRules
import FlotillaAPI
import Foundation

/// The directed links that are cut, whoever holds the rule: what `mend` removes some of and
/// writes back, and what its event names as left standing.
public struct CutLinks: Sendable, Equatable {
    public var links: Set<DirectedLink>

    public init(_ links: Set<DirectedLink> = []) { self.links = links }

    /// The cuts the nodes' own filters hold: a's drop of b covers a->b unless it drops only
    /// what it hears, and b->a unless it drops only what it sends.
    public init(filters: [String: FaultSpec]) {
        var out = Set<DirectedLink>()
        for (id, spec) in filters {
            for peer in spec.drop where peer != id {
                if spec.direction != .in { out.insert(DirectedLink(id, peer)) }
                if spec.direction != .out { out.insert(DirectedLink(peer, id)) }
            }
        }
        links = out
    }

    /// The cuts the kernel's rules hold (loss below 100% is no cut).
    public init(rules: [LinkRule]) {
        links = Set(rules.filter(\.isCut).map { DirectedLink($0.from, $0.to) })
    }

    /// The drops `id`'s own filter needs to hold its share of these cuts: what it sends that is
    /// cut (direction out), or both ways when what it hears is cut from the same peers; what
    /// it hears is then cut by each sender's own rule.
    public func filter(of id: String) -> (drop: [String], direction: FaultDirection) {
        let out = Set(links.filter { $0.from == id }.map(\.to))
        let into = Set(links.filter { $0.to == id }.map(\.from))
        if out.isEmpty && into.isEmpty { return ([], .both) }
        if out == into { return (out.sorted(), .both) }
        if out.isEmpty { return (into.sorted(), .in) }
        return (out.sorted(), .out)
    }

    /// `n1<->n2 n1->n3`, or `none`.
    public var summary: String {
        var words: [String] = []
        for l in links.sorted(by: { ($0.from, $0.to) < ($1.from, $1.to) }) {
            let back = links.contains(DirectedLink(l.to, l.from))
            if back && l.from > l.to { continue }
            words.append(back ? "\(l.from)<->\(l.to)" : "\(l.from)->\(l.to)")
        }
        return words.isEmpty ? "none" : words.joined(separator: " ")
    }
}
