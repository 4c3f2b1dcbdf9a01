import ClusterRules
import FlotillaAPI
import Foundation

extension ClusterControl {
    /// Undoes the cuts on the links `spec` names (`n1->n2`, `n1<->n2`, `n3`, `all`) and no
    /// others: in the lab's table when the nodes run in namespaces, else in the nodes' own
    /// filters, where the cuts left standing are written back to each answering node (its loss,
    /// delays and other faults untouched). The event names what was removed and what stays.
    @discardableResult
    public func mend(_ spec: String) async throws -> String {
        let s = await snapshot()
        let action = OperatorAction(verb: "mend", target: spec)
        return try await act("mend \(spec)", action) {
            let links = try LinkSelection.directed(spec, members: s.nodes.map(\.id))
            let chosen = Set(links.map { DirectedLink($0.from, $0.to) })
            if let kernel = kernelFaults {
                let removed = try await kernel.mend(links)
                let left = CutLinks(rules: try await kernel.rules())
                let text = Self.mendReport(removed: CutLinks(Set(removed.map { DirectedLink($0.from, $0.to) })), left: left, where: "table \(kernel.table)")
                return (text, text)
            }
            var filters: [String: FaultSpec] = [:]
            for o in s.nodes where o.up {
                filters[o.id] = try await admin.call("GET", o.adminAddress, "/v1/faults", timeout: .seconds(2))
            }
            let before = CutLinks(filters: filters)
            let left = CutLinks(before.links.subtracting(chosen))
            let changed = filters.keys.sorted().filter { id in
                let now = filters[id]!, wanted = left.filter(of: id)
                return Set(now.drop) != Set(wanted.drop) || (!wanted.drop.isEmpty && now.direction != wanted.direction)
            }
            let (_, summary) = try await rewriteRules(of: changed, in: s) { id, rules in
                let wanted = left.filter(of: id)
                rules.drop = wanted.drop
                rules.direction = wanted.direction
            }
            let text = Self.mendReport(removed: CutLinks(before.links.intersection(chosen)), left: left, where: "the nodes' filters")
            return (text, text + (changed.isEmpty ? "" : "; \(summary)"))
        }
    }

    /// `removed the cut n1<->n2 (the nodes' filters); the other cuts stay: n1<->n3`.
    static func mendReport(removed: CutLinks, left: CutLinks, where place: String) -> String {
        let what = removed.links.isEmpty ? "no cut on those links" : "removed the cut \(removed.summary)"
        return "\(what) (\(place)); " + (left.links.isEmpty ? "no cut is left" : "the other cuts stay: \(left.summary)")
    }
}
