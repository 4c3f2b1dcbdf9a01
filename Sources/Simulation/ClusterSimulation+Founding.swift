import BinaryCoding
import NodeCore
import RaftCore

/// Founding a cluster from empty storage, as `flotilla up` starts one (`foundFromEmpty`): each
/// founder runs the runtime's `FounderCheck` on what the other founders answered over the
/// network, which may be from before one of them restarted. Every entry 1 written is checked
/// against the others by the checker's log matching at index 1.
extension ClusterSimulation {
    /// Starts `id`'s founder check: its process knows nothing of the others yet.
    mutating func startFounding(_ id: NodeID) {
        let me = MemberAddress(raft: "sim://\(id)", admin: "sim://\(id)", slots: nodes[id].slots, incarnation: nodes[id].identity)
        let check = FounderCheck(me: id, address: me, founders: founders(of: id))
        nodes[id].founderReports = [:]
        nodes[id].founding = check
        // A lone founder has nobody to ask.
        decideFounding(id)
    }

    /// The founders named on every node's command line (`--peers`).
    var founderIDs: [NodeID] { (1...config.nodes).map { "n\($0)" } }

    /// The founders every node is started with, at their addresses.
    var rightPeers: [NodeID: MemberAddress] {
        var founders: [NodeID: MemberAddress] = [:]
        for f in founderIDs { founders[f] = MemberAddress(raft: "sim://\(f)", admin: "sim://\(f)", slots: 0) }
        return founders
    }

    /// The founders on `id`'s command line: the right ones, unless an operator gave it others.
    func founders(of id: NodeID) -> [NodeID: MemberAddress] { nodes[id].otherPeers ?? rightPeers }

    /// Once a tick: founders still deciding ask the others again every few ticks (as the
    /// runtime's founder service polls), and founders that stored their first entry are done.
    mutating func foundingTick() {
        for id in unfounded.sorted() {
            guard let i = nodes.slot(of: id), nodes.all[i].up else { continue }
            if nodes.all[i].core.raft.lastIndex > 0 {
                unfounded.remove(id)
                continue
            }
            guard let check = nodes.all[i].founding, (now + UInt64(i)) % 3 == 0 else { continue }
            for other in check.others {
                network.send(from: i, epoch: nodes.all[i].boots, to: endpoint(other), now: now, .founderAsk)
            }
        }
    }

    /// What node `i` answers a founder: empty with the address on its command line, or its membership.
    func founderReport(of i: Int) -> FounderCheck.Report {
        let n = nodes.all[i]
        if n.core.raft.lastIndex == 0, n.core.raft.membership.isEmpty {
            return .empty(MemberAddress(raft: "sim://\(n.id)", admin: "sim://\(n.id)", slots: n.slots, incarnation: n.identity),
                          founders: FounderSet(n.otherPeers ?? rightPeers))
        }
        return .founded(n.core.raft.membership)
    }

    /// A founder's answer reaching node `i`.
    mutating func receiveFounderReport(at i: Int, from: Int, _ report: FounderCheck.Report) {
        guard from >= 0, nodes.all[i].founding != nil else { return }
        nodes.all[i].founderReports[nodes.all[from].id] = report
        decideFounding(nodes.all[i].id)
    }

    /// Acts on what `id`'s founder check decides from the answers it holds, as the runtime's driver does.
    mutating func decideFounding(_ id: NodeID) {
        guard let check = nodes[id].founding else { return }
        switch check.decide(nodes[id].founderReports) {
        case .wait:
            return
        case .conflict(let why):
            // Nobody founds while the founders disagree; the check goes on asking.
            stats.founderConflicts += 1
            note("\(id) does not found: \(why)")
            return
        case .found(let m):
            // One writer of entry 1, whatever the founders were started with.
            if let writer = entryOneWriter, writer != id {
                checker.observeRuntimeViolation("\(id) wrote entry 1 after \(writer) did: two founders founded the cluster")
            }
            entryOneWriter = id
            do {
                try nodes[id].core.bootstrap(m)
            } catch {
                checker.observeRuntimeViolation("\(id) could not found the cluster: \(error)")
            }
            stats.foundings += 1
            note("\(id) founds the cluster: \(m.ids.map { "\($0) \(m.addresses[$0].map { "slots=\($0.slots)" } ?? "")" })")
        case .awaitLeader:
            note("\(id) finds the cluster founded and waits for the leader's log")
        case .awaitFounder(let first):
            note("\(id) finds every founder empty and waits for \(first)'s log")
        case .refuse(let why):
            // No founder's disk is wiped while the cluster is founded: a refusal is the check's own fault.
            checker.observeRuntimeViolation("founder \(id) refused while founding: \(why)")
            crash(id)
            return
        }
        nodes[id].founding = nil
        nodes[id].founderReports = [:]
        nodes[id].refreshIncarnations()
    }

    /// The nemesis's step while founders decide: restart one that has not stored anything yet,
    /// one time in three with other `--slots`, a few ticks later. A founder given other `--peers`
    /// gets the right ones back; while none has others, one time in four the restarted one does.
    mutating func restartFounder() -> Bool {
        let candidates = unfounded.sorted().filter { nodes[$0].up }
        guard !candidates.isEmpty else { return false }
        let id = candidates[rng.below(candidates.count)]
        crash(id)
        if rng.chance(1.0 / 3) { nodes[id].slots = 1 + rng.below(4) }
        if nodes[id].otherPeers != nil {
            nodes[id].otherPeers = nil
            note("\(id) is given the right --peers again")
        } else if config.nodes > 1, !order.contains(where: { nodes[$0].otherPeers != nil }), rng.chance(0.25) {
            let peers = otherPeers(for: id)
            nodes[id].otherPeers = peers
            stats.founderMisconfigurations += 1
            note("\(id) is given other --peers: \(FounderSet(peers).text)")
        }
        bounces.append((id, now + UInt64(1 + rng.below(3))))
        stats.founderRestarts += 1
        let slots = nodes[id].slots
        note("restart founder \(id) before it founded (slots \(slots))")
        return true
    }

    /// Other `--peers` for founder `id`, as an operator gets them wrong: one founder left out
    /// (the first, so that `id`, or another, would think itself first), an id that is no founder
    /// added, or another founder at another address.
    mutating func otherPeers(for id: NodeID) -> [NodeID: MemberAddress] {
        var peers = rightPeers
        switch rng.below(3) {
        case 0:
            peers[id == founderIDs[0] ? founderIDs[founderIDs.count - 1] : founderIDs[0]] = nil
        case 1:
            let stranger = "n\(config.nodes + config.spareNodes + 1)"
            peers[stranger] = MemberAddress(raft: "sim://\(stranger)", admin: "sim://\(stranger)", slots: 0)
        default:
            let moved = founderIDs.first { $0 != id }!
            peers[moved]?.raft = "sim://\(moved)-old"
        }
        return peers
    }

    /// When the faults end, an operator restarts every founder given other `--peers` with the
    /// right ones (one that already holds a log keeps it; its command line no longer matters).
    mutating func putFounderPeersRight() {
        for id in order where nodes[id].otherPeers != nil {
            nodes[id].otherPeers = nil
            note("\(id) is given the right --peers again")
            if nodes[id].up, unfounded.contains(id) { crash(id) }
        }
    }
}
