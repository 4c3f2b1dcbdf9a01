import FlotillaAPI
import Foundation

/// Every fault in force in a snapshot, one entry each: cut links and one-way cuts (from each
/// answering node's drop rules, which the console's feed joins with the kernel's rules on a
/// cluster in a namespace lab, see `KernelFaultReading`), link faults, disk and clock faults, paused and killed nodes.
/// Who set each comes from the newest successful action event naming its verb and node, so a
/// fault set by a key, the `:` line, the CLI, chaos or a replay says so.
public enum FaultLedger {
    public static func entries(_ s: ClusterSnapshot, events: [ControlEvent] = []) -> [FaultEntry] {
        var out = cuts(s)
        out += linkFaults(s)
        for o in s.nodes {
            if o.process == .paused {
                out.append(FaultEntry(kind: "paused", target: o.id, detail: "SIGSTOP", undo: [.resume(node: o.id)]))
            } else if o.process == .stopped {
                // Killed or stopped by an operator, died of its own accord, or ended for a reason its log does not give.
                let kind = o.exit.map { $0.byOperator ? "killed" : "died" } ?? "stopped"
                out.append(FaultEntry(kind: kind, target: o.id, detail: o.exit?.reason ?? "", undo: [.restart(node: o.id)]))
            }
            guard let f = o.live?.faults else { continue }
            if f.diskFull { out.append(FaultEntry(kind: "disk", target: o.id, detail: "full", undo: [.disk(node: .node(o.id), fault: .ok)])) }
            if f.fsyncDelayMs > 0 {
                out.append(FaultEntry(kind: "disk", target: o.id, detail: "slow \(f.fsyncDelayMs)ms", undo: [.disk(node: .node(o.id), fault: .ok)]))
            }
            if f.clockRate != 1 {
                out.append(FaultEntry(kind: "clock", target: o.id, detail: FaultSpec.rateText(f.clockRate), undo: [.skew(node: .node(o.id), rate: ClockRate(factor: 1))]))
            }
        }
        return out.map { attribute($0, events: events) }
    }

    /// The verbs whose action events set a fault of `kind`.
    static func verbs(for kind: String) -> Set<String> {
        switch kind {
        // In a namespace lab a 100% loss is a kernel cut too.
        case "cut", "one-way cut": ["partition", "isolate", "loss"]
        case "paused": ["pause"]
        case "killed", "stopped": ["kill"]
        case "clock": ["skew"]
        case "link": ["delay", "loss", "duplicate", "reorder"]
        default: [kind]
        }
    }

    /// The node ids in a target as the entries and the commands write them: `n1<->n2`, `n1,n2|n3`, `n3->all`.
    static func ids(in target: String) -> Set<String> {
        Set(target.split(whereSeparator: { "<->,| {}".contains($0) }).map(String.init))
    }

    /// Whether a command lifts a fault rather than sets one (an undo, `delay … 0`, `disk ok`): it set nothing in force.
    static func lifts(_ c: OperatorCommand) -> Bool {
        switch c {
        case .delay(_, let d, let j): d.milliseconds == 0 && j.milliseconds == 0
        case .loss(_, let share), .duplicate(_, let share), .reorder(_, let share): share.fraction == 0
        case .disk(_, .ok): true
        case .skew(_, let rate): rate.factor == 1
        case .resume, .restart, .heal, .mend: true
        default: false
        }
    }

    /// Fills in who set the fault and when, from the newest successful action of its verb that
    /// names one of its nodes (or all, or the leader; for a cut also a shape that names no node,
    /// `minority`), leaving out actions that lifted faults and, for a cut, loss below 100%.
    static func attribute(_ e: FaultEntry, events: [ControlEvent]) -> FaultEntry {
        let verbs = verbs(for: e.kind)
        let nodes = ids(in: e.target)
        let isCut = e.kind == "cut" || e.kind == "one-way cut"
        guard let hit = events.last(where: { ev in
            guard ev.ok, let a = ev.action, verbs.contains(a.verb), !(a.command.map(lifts) ?? false) else { return false }
            if isCut, a.verb == "loss" {
                // A 100% loss on links that include this cut's (a kernel cut), not one on a neighbour's link.
                guard case .loss(let links, let share)? = a.command, share.fraction >= 1 else { return false }
                switch links {
                case .all: return true
                case .node(let n): return nodes.contains(n)
                case .oneWay(let p, let q), .bothWays(let p, let q): return nodes == [p, q]
                }
            }
            let target = a.target ?? ""
            let named = ids(in: target).subtracting(["all", "ring"] + PartitionShape.named)
            return target == "all" || target == "leader" || (isCut && named.isEmpty) || !named.isDisjoint(with: nodes)
        }) else { return e }
        var out = e
        out.setBy = hit.action?.by
        out.setAt = hit.action?.startedAt ?? hit.at
        return out
    }

    /// The cut links: `a<->b` where both ways are dropped, `a->b` where only a's messages to b are.
    static func cuts(_ s: ClusterSnapshot) -> [FaultEntry] {
        var cut: Set<[String]> = []
        for a in s.nodes {
            for b in s.nodes where a.id != b.id {
                if dropped(from: a, to: b) { cut.insert([a.id, b.id]) }
            }
        }
        var out: [FaultEntry] = []
        for pair in cut.sorted(by: { ($0[0], $0[1]) < ($1[0], $1[1]) }) {
            let back = cut.contains([pair[1], pair[0]])
            if back && pair[0] > pair[1] { continue }
            let links: LinkTarget = back ? .bothWays(pair[0], pair[1]) : .oneWay(from: pair[0], to: pair[1])
            out.append(FaultEntry(kind: back ? "cut" : "one-way cut", target: links.description, detail: "", undo: [.mend(links: links)]))
        }
        return out
    }

    /// Whether a's messages to b are dropped by a's rules (outgoing) or b's (incoming), as far as the answering nodes tell.
    public static func dropped(from a: NodeObservation, to b: NodeObservation) -> Bool {
        let outOfA = a.live.map { $0.faults.drop.contains(b.id) && $0.faults.direction != .in } ?? false
        let intoB = b.live.map { $0.faults.drop.contains(a.id) && $0.faults.direction != .out } ?? false
        return outOfA || intoB
    }

    /// One line for all the cuts, `cut: n1<->n2 n1<->n3 n2->n3`, or nil when none.
    public static func cutSummary(_ s: ClusterSnapshot) -> String? {
        let c = cuts(s)
        return c.isEmpty ? nil : "cut: " + c.map(\.target).joined(separator: " ")
    }

    /// Link faults: each node's fault on every link it sends over, then those on single links
    /// (a pair both ways as `a<->b`).
    static func linkFaults(_ s: ClusterSnapshot) -> [FaultEntry] {
        var out: [FaultEntry] = []
        let live = s.nodes.filter { $0.live != nil }
        let everyLink = live.filter { !$0.live!.faults.everyLink.isClean }
        if !everyLink.isEmpty {
            let same = Set(everyLink.map { $0.live!.faults.everyLink.summary }).count == 1 && everyLink.count == live.count
            if same {
                out.append(FaultEntry(kind: "link", target: "all", detail: everyLink[0].live!.faults.everyLink.summary,
                                      undo: clearing(everyLink[0].live!.faults.everyLink, .all)))
            } else {
                for o in everyLink {
                    out.append(FaultEntry(kind: "link", target: "\(o.id)->all", detail: o.live!.faults.everyLink.summary,
                                          undo: clearing(o.live!.faults.everyLink, .all)))
                }
            }
        }
        // A fault on every link in and out of one node (`delay n2 …`) is one entry, named by the node.
        let ids = s.nodes.map(\.id)
        var byNode: Set<[String]> = []
        for x in ids {
            let pairs = ids.filter { $0 != x }.flatMap { [[x, $0], [$0, x]] }
            let specs = pairs.map { p in s.node(p[0])?.live?.faults.links[p[1]] }
            guard let first = specs.first ?? nil, !first.isClean, specs.allSatisfy({ $0 == first }), byNode.isDisjoint(with: pairs) else { continue }
            out.append(FaultEntry(kind: "link", target: x, detail: first.summary, undo: clearing(first, .node(x))))
            byNode.formUnion(pairs)
        }
        var seen = byNode
        for a in live {
            for (b, spec) in a.live!.faults.links.sorted(by: { $0.key < $1.key }) where !spec.isClean && !seen.contains([a.id, b]) {
                let back = s.node(b)?.live?.faults.links[a.id]
                if back == spec, !seen.contains([b, a.id]) {
                    seen.insert([b, a.id])
                    out.append(FaultEntry(kind: "link", target: "\(a.id)<->\(b)", detail: spec.summary, undo: clearing(spec, .bothWays(a.id, b))))
                } else {
                    out.append(FaultEntry(kind: "link", target: "\(a.id)->\(b)", detail: spec.summary, undo: clearing(spec, .oneWay(from: a.id, to: b))))
                }
            }
        }
        return out
    }

    /// The commands that set each part of `spec` on `links` back to nothing.
    static func clearing(_ spec: LinkFaultSpec, _ links: LinkTarget) -> [OperatorCommand] {
        var out: [OperatorCommand] = []
        if spec.delayMs > 0 || spec.jitterMs > 0 { out.append(.delay(links: links, delay: TimeSpan(milliseconds: 0), jitter: TimeSpan(milliseconds: 0))) }
        if spec.loss > 0 { out.append(.loss(links: links, share: Share(fraction: 0))) }
        if spec.duplicate > 0 { out.append(.duplicate(links: links, share: Share(fraction: 0))) }
        if spec.reorder > 0 { out.append(.reorder(links: links, share: Share(fraction: 0))) }
        return out
    }
}
