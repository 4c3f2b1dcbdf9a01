import BinaryCoding
import ClusterRules
import NodeCore
import NodeStorage
import RaftCore
import TaskQueue

extension ClusterSimulation {
    /// Ends the fault in force when its time is up, and sometimes starts a new one.
    mutating func nemesis() {
        while let (id, at) = bounces.first, at <= now {
            bounces.removeFirst()
            if crashed.contains(id) { restart(id) }
        }
        if !toReplace.isEmpty || !toReadd.isEmpty || !awaitingFounders.isEmpty { replaceRefused() }
        if let active = activeFault, active.until <= now {
            healAll()
            activeFault = nil
        }
        if !unfounded.isEmpty, rng.chance(0.2) { _ = restartFounder() }
        guard activeFault == nil, rng.chance(config.faultRate) else { return }
        let kinds = config.onlyFaults ?? Fault.allCases
        guard !kinds.isEmpty else { return }
        let fault = kinds[rng.below(kinds.count)]
        let duration = UInt64(config.faultTicks.lowerBound + rng.below(config.faultTicks.count))
        if inject(fault) {
            stats.faults += 1
            if fault.lasts { activeFault = (fault, now + duration) }
        }
    }

    /// Nodes that take part: up or crashed, not removed, in creation order.
    var liveMembers: [NodeID] { order.filter { !removed.contains($0) } }

    /// Injects one fault; false when it does not apply right now.
    mutating func inject(_ fault: Fault) -> Bool {
        let members = liveMembers
        switch fault {
        case .randomHalves:
            var shuffled = members
            shuffled.shuffle(using: &rng)
            let k = 1 + rng.below(max(1, shuffled.count - 1))
            cut(NetworkShape.cuts(between: [Array(shuffled[..<k]), Array(shuffled[k...])]), "halves")
        case .isolateOne:
            let x = members[rng.below(members.count)]
            cut(NetworkShape.cuts(between: [[x], members.filter { $0 != x }]), "isolate \(x)")
        case .isolateLeader:
            guard let l = currentLeader else { return false }
            cut(NetworkShape.cuts(between: [[l], members.filter { $0 != l }]), "isolate leader \(l)")
        case .majorityRing:
            cut(NetworkShape.majoritiesRing(members), "majorities ring")
        case .bridge:
            guard members.count >= 3 else { return false }
            let bridge = members[rng.below(members.count)]
            let rest = members.filter { $0 != bridge }
            cut(NetworkShape.bridge(Array(rest[..<(rest.count / 2)]), Array(rest[(rest.count / 2)...])), "bridged by \(bridge)")
        case .oneWay:
            let x = members[rng.below(members.count)]
            let others = members.filter { $0 != x }
            let out = rng.chance(0.5)
            cut(NetworkShape.cuts(between: out ? [[x], others] : [others, [x]], oneWay: true), out ? "one-way from \(x)" : "one-way to \(x)")
        case .crash:
            let candidates = upNodes.filter { !removed.contains($0) }
            guard !candidates.isEmpty else { return false }
            crash(candidates[rng.below(candidates.count)])
        case .crashLeader:
            guard let l = currentLeader else { return false }
            crash(l)
        case .bounce:
            let candidates = upNodes.filter { !removed.contains($0) }
            guard !candidates.isEmpty else { return false }
            let id = rng.chance(0.5) ? currentLeader ?? candidates[0] : candidates[rng.below(candidates.count)]
            crash(id)
            bounces.append((id, now + UInt64(1 + rng.below(3))))
        case .fullDisk:
            let candidates = upNodes.filter { !removed.contains($0) }
            guard !candidates.isEmpty else { return false }
            let id = candidates[rng.below(candidates.count)]
            nodes[id].disk.faults.spaceLeft = rng.below(4096)
            note("disk of \(id) full")
        case .powerCut:
            let candidates = upNodes.filter { !removed.contains($0) && !nodes[$0].cutArmed }
            guard !candidates.isEmpty else { return false }
            let id = rng.chance(0.5) ? currentLeader ?? candidates[0] : candidates[rng.below(candidates.count)]
            nodes[id].disk.crash(afterOperations: rng.below(8))
            nodes[id].cutArmed = true
            stats.powerCuts += 1
            note("power cut on \(id) within its next disk operations")
        case .slowLink:
            guard members.count >= 2 else { return false }
            let fault = randomLinkFault()
            let x = members[rng.below(members.count)]
            let others = members.filter { $0 != x }
            if rng.chance(0.5) {
                let y = others[rng.below(others.count)]
                slowLinks([DirectedLink(x, y)], fault, "\(x)->\(y)")
            } else {
                slowLinks(others.flatMap { [DirectedLink(x, $0), DirectedLink($0, x)] }, fault, "of \(x) (in and out)")
            }
        case .slowDisk:
            let candidates = upNodes.filter { !removed.contains($0) }
            guard !candidates.isEmpty else { return false }
            slowDisk(candidates[rng.below(candidates.count)], every: 2 + rng.below(14))
        case .clockSkew:
            let candidates = upNodes.filter { !removed.contains($0) }
            guard !candidates.isEmpty else { return false }
            let id = candidates[rng.below(candidates.count)]
            let k = 2 + rng.below(3)
            skewClock(id, rng.chance(0.5) ? .fast(k) : .slow(k))
        case .wipe:
            // Never the last copy of the data: a wipe needs a voter that still holds the log up.
            // One at a time (the next only once the last wiped node is back as a new member), and
            // only while the other voters can still commit its replacement: an operator who wipes
            // one of two voters has lost the cluster's quorum for good, in any Raft.
            guard wipedPending.isEmpty, toReplace.isEmpty, toReadd.isEmpty, awaitingFounders.isEmpty, unfounded.isEmpty,
                  let l = currentLeader else { return false }
            let m = nodes[l].core.raft.membership
            // Every node must have applied that membership: a promotion only the leader applied
            // leaves the others counting a quorum of the old voters, which a wiped leader breaks.
            guard m.voters.count >= 3, upNodes.allSatisfy({ nodes[$0].core.raft.membership == m }) else { return false }
            let candidates = m.ids.filter { !crashed.contains($0) && !removed.contains($0) }
            guard !candidates.isEmpty else { return false }
            wipe(candidates[rng.below(candidates.count)])
        case .transfer:
            guard let l = currentLeader else { return false }
            let voters = nodes[l].core.raft.membership.voters.filter { $0 != l }
            guard !voters.isEmpty else { return false }
            let target = voters[rng.below(voters.count)]
            guard (try? nodes[l].core.transferLeadership(to: target)) != nil else { return false }
            stats.transfers += 1
            note("transfer \(l) -> \(target)")
        case .addLearner:
            guard let l = currentLeader, !spares.isEmpty else { return false }
            let id = spares.removeFirst()
            let identity = rng.next() | 1
            guard (try? nodes[l].core.proposeConfChange(.addLearner(id, address: address(id, identity: identity)), token: nil)) != nil else {
                spares.insert(id, at: 0)
                return false
            }
            addNode(id, bootstrap: nil, identity: identity)
            stats.membershipChanges += 1
            note("add learner \(id)")
        case .promote:
            guard let l = currentLeader else { return false }
            let raft = nodes[l].core.raft
            let ready = raft.status.peers.filter { !$0.isVoter && $0.match + 20 >= raft.commitIndex }
            guard let target = ready.first?.id,
                  (try? nodes[l].core.proposeConfChange(.promote(target), token: nil)) != nil else { return false }
            stats.membershipChanges += 1
            note("promote \(target)")
        case .remove:
            guard let l = currentLeader, pendingRemoval == nil else { return false }
            let m = nodes[l].core.raft.membership
            let candidates = m.voters.count > config.nodes - 1 && m.voters.count > 3 ? m.ids : m.learners
            guard !candidates.isEmpty else { return false }
            let target = candidates[rng.below(candidates.count)]
            nextRemovalToken += 1
            guard (try? nodes[l].core.proposeConfChange(.remove(target), token: nextRemovalToken)) != nil else { return false }
            pendingRemoval = (target, nextRemovalToken)
            stats.membershipChanges += 1
            note("remove \(target)")
        }
        return true
    }

    mutating func cut(_ links: [DirectedLink], _ what: String) {
        for link in links { network.cut(from: endpoint(link.from), to: endpoint(link.to)) }
        note("partition: \(what)")
    }

    /// A slow link's fault: 3...20 extra ticks (an election timeout is 30...60) with jitter,
    /// and, at random, a loss share of 0.1...0.5, duplication and reordering.
    mutating func randomLinkFault() -> LinkFault {
        let delay = 3 + rng.below(18)
        var fault = LinkFault(delay: delay, jitter: rng.below(delay / 2 + 1))
        if rng.chance(0.5) { fault.loss = Double(10 + rng.below(41)) / 100 }
        if rng.chance(0.3) { fault.duplicate = Double(5 + rng.below(16)) / 100 }
        if rng.chance(0.5) { fault.reorder = Double(10 + rng.below(21)) / 100 }
        return fault
    }

    /// Puts `fault` on each directed link between nodes, until the next heal.
    mutating func slowLinks(_ links: [DirectedLink], _ fault: LinkFault, _ what: String) {
        for link in links { network.setFault(fault, from: endpoint(link.from), to: endpoint(link.to)) }
        stats.slowLinks += 1
        note("slow link \(what) \(fault)")
    }

    /// Gives `id` a disk whose every fsync takes `every` ticks, until the next heal.
    mutating func slowDisk(_ id: NodeID, every ticks: Int) {
        nodes[id].slowDiskTicks = max(1, ticks)
        // The fsync of the batch in hand starts now.
        nodes[id].nextSyncAt = now + UInt64(max(1, ticks))
        stats.slowDisks += 1
        note("slow disk \(id) every \(ticks) ticks")
    }

    /// Makes `id`'s timers run fast or slow, until the next heal.
    mutating func skewClock(_ id: NodeID, _ skew: ClockSkew) {
        nodes[id].clock = skew
        stats.clockSkews += 1
        note("clock of \(id) runs \(skew)")
    }

    mutating func crash(_ id: NodeID) {
        nodes[id].crash()
        crashed.insert(id)
        stats.crashes += 1
        note("crash \(id)")
        // A crashed process closes its sockets: peers notice at once.
        for peer in upNodes { nodes[peer].core.peerDisconnected(id) }
    }

    mutating func restart(_ id: NodeID) {
        let seed = rng.next()
        let fresh = rng.next() | 1
        var founds = false
        do {
            guard let recovered = try nodes[id].restart(seed: seed, identity: fresh) else {
                note("\(id) cannot start yet: its disk is full")
                return
            }
            // A founder that never stored anything asks the other founders again, over the network.
            founds = recovered.isEmpty && unfounded.contains(id)
            if recovered.isEmpty, !founds, !startsEmpty(id) { return }
            checker.restarted(id)
            checker.observeDurable(id, term: recovered.hardState.term, commit: recovered.hardState.commit)
        } catch {
            checker.observeRuntimeViolation("\(id) could not restart from its disk: \(error)")
        }
        nodes[id].refreshIncarnations()
        crashed.remove(id)
        awaitingFounders.remove(id)
        wipedPending.remove(id)
        note("restart \(id)")
        if founds { startFounding(id) }
    }

    /// A node back on an empty disk, started as a founder (`--peers`) as the launcher restarts
    /// every node: it runs the runtime's founder check against what the others report, and
    /// founds, waits for the leader, waits, or refuses as it decides. False when it does not
    /// start (it is stopped again; a refused one is replaced).
    mutating func startsEmpty(_ id: NodeID) -> Bool {
        if amnesiaPlanted {
            // The bug: it founds the cluster again from its command line, as the member it was.
            try? nodes[id].core.bootstrap(initialMembership)
            return true
        }
        let me = MemberAddress(raft: "sim://\(id)", admin: "sim://\(id)", slots: config.slots, incarnation: nodes[id].identity)
        var founders: [NodeID: MemberAddress] = [:]
        for f in liveMembers { founders[f] = MemberAddress(raft: "sim://\(f)", admin: "sim://\(f)", slots: 0) }
        let check = FounderCheck(me: id, address: me, founders: founders)
        var reports: [NodeID: FounderCheck.Report] = [:]
        for other in check.others {
            guard let n = nodes.lookup(other) else { continue }
            if awaitingFounders.contains(other) || (n.up && n.core.raft.lastIndex == 0 && n.core.raft.membership.isEmpty) {
                reports[other] = .empty(MemberAddress(raft: "sim://\(other)", admin: "sim://\(other)", slots: config.slots, incarnation: n.identity))
            } else if n.up {
                reports[other] = .founded(n.core.raft.membership)
            }
        }
        switch check.decide(reports) {
        case .found(let m):
            try? nodes[id].core.bootstrap(m)
            return true
        case .awaitLeader, .awaitFounder:
            return true
        case .wait(let missing):
            note("\(id) waits for founders \(missing) before founding")
            awaitingFounders.insert(id)
        case .conflict(let why):
            note("\(id) waits: \(why)")
            awaitingFounders.insert(id)
        case .refuse(let why):
            awaitingFounders.remove(id)
            if !toReplace.contains(id) && !toReadd.contains(id) {
                stats.amnesiaRefused += 1
                toReplace.append(id)
                note("\(id) refused to start: \(why)")
            }
        }
        nodes[id].crash()
        crashed.insert(id)
        return false
    }

    /// Wipes `id`'s disk (a new, empty one) and restarts it a few ticks later as before.
    mutating func wipe(_ id: NodeID) {
        if nodes[id].up { crash(id) }
        nodes[id].disk = MemoryDisk(seed: rng.next())
        crashed.insert(id)
        // A new incarnation: its term and commit start over (the rules watch for going back).
        checker.forget(id)
        wipedPending.insert(id)
        stats.wipes += 1
        note("wipe \(id)")
        bounces.append((id, now + UInt64(1 + rng.below(3))))
    }

    /// Carries the replacements on, one step a tick: remove a refused node through the leader,
    /// then add it back empty under a new incarnation as a learner (the promote fault promotes it).
    mutating func replaceRefused() {
        for id in awaitingFounders.sorted() where crashed.contains(id) { restart(id) }
        guard let l = currentLeader else { return }
        if let id = toReadd.first {
            let identity = rng.next() | 1
            var fresh = makeNode(id, bootstrap: nil, identity: identity)
            // Completions are counted per state machine; the new one continues the count.
            fresh.rebuilds = nodes[id].rebuilds + 1
            guard (try? nodes[l].core.proposeConfChange(.addLearner(id, address: address(id, identity: identity)), token: nil)) != nil else { return }
            toReadd.removeFirst()
            wipedPending.remove(id)
            nodes[id] = fresh
            crashed.remove(id)
            checker.forget(id)
            stats.replacements += 1
            note("replace \(id): added back empty as a learner")
        } else if let id = toReplace.first {
            guard nodes[l].core.raft.membership.contains(id) else {
                // Gone from the membership (its removal applied, or a remove fault took it): add it back.
                toReplace.removeFirst()
                toReadd.append(id)
                if pendingRemoval?.0 == id { pendingRemoval = nil }
                return
            }
            if pendingRemoval != nil {
                // A removal proposed to a leader that crashed never comes back: propose again.
                guard now - removalProposedAt > 200 else { return }
                pendingRemoval = nil
            }
            nextRemovalToken += 1
            guard (try? nodes[l].core.proposeConfChange(.remove(id), token: nextRemovalToken)) != nil else { return }
            pendingRemoval = (id, nextRemovalToken)
            removalProposedAt = now
            note("replace \(id): remove it first")
        }
    }

    mutating func healAll() {
        network.heal()
        for i in nodes.all.indices {
            nodes.all[i].disk.faults.spaceLeft = nil
            nodes.all[i].slowDiskTicks = 0
            nodes.all[i].nextSyncAt = 0
            nodes.all[i].clock = nil
        }
        // A power cut that has not struck yet strikes now, so none is left for later.
        for id in upNodes where nodes[id].cutArmed { crash(id) }
        for id in order where crashed.contains(id) { restart(id) }
        note("heal")
    }

    // MARK: - Liveness

    /// After the faults stop: heal, restart, stop losing messages, and require a leader that
    /// commits a fresh submit and brings every node up to date within `livenessTicks`.
    mutating func livenessPhase() -> String? {
        putFounderPeersRight()
        healAll()
        activeFault = nil
        network.lossy = false
        client.submitting = false
        let probeKey = "liveness-probe"
        client.toSend.append(probeKey)
        let deadline = now + UInt64(config.livenessTicks)
        // Once the probe is acknowledged, every member must apply up to the commit index of that moment.
        var target: UInt64?
        while now < deadline {
            if !toReplace.isEmpty || !toReadd.isEmpty || !awaitingFounders.isEmpty { replaceRefused() }
            step()
            guard client.acknowledged[probeKey] != nil, let leader = currentLeader else { continue }
            if target == nil { target = nodes[leader].core.raft.commitIndex }
            let commit = target!
            let members = nodes[leader].core.raft.membership.ids.filter { !removed.contains($0) }
            if members.allSatisfy({ nodes.lookup($0)?.up == true && nodes[$0].core.applied >= commit }) {
                return nil
            }
        }
        guard let leader = currentLeader else {
            return "no leader \(config.livenessTicks) ticks after the faults stopped"
        }
        if client.acknowledged[probeKey] == nil {
            return "leader \(leader) did not commit a submit within \(config.livenessTicks) ticks after the faults stopped"
        }
        let commit = target ?? nodes[leader].core.raft.commitIndex
        let behind = nodes[leader].core.raft.membership.ids.filter { (nodes.lookup($0)?.core.applied ?? 0) < commit }
        let peers = nodes[leader].core.raft.status.peers.map { p in
            let n = nodes.lookup(p.id)
            let detail = n.map { "\($0.core.raft.role) t\($0.core.raft.term) l=\($0.core.raft.leader ?? "-") c\($0.core.raft.commitIndex) last\($0.core.raft.lastIndex) storage \($0.core.storageProblem ?? "ok")" } ?? ""
            return "\(p.id): match \(p.match) next \(p.next) \(p.state.name) applied \(n?.core.applied ?? 0) up \(n?.up ?? false) [\(detail)]"
        }
        return "nodes \(behind) did not catch up to commit \(commit) within \(config.livenessTicks) ticks; leader \(leader) sees \(peers)"
    }

    /// Every acknowledged submit is in every caught-up member's state exactly once.
    mutating func finalChecks() {
        guard let leader = currentLeader else { return }
        let commit = nodes[leader].core.raft.commitIndex
        let acknowledged = client.acknowledged.keys.sorted()
        var tableAt: [UInt64: (id: NodeID, table: [UInt8])] = [:]
        for id in nodes[leader].core.raft.membership.ids where nodes.lookup(id)?.up == true && nodes[id].core.applied >= commit {
            checker.checkSubmits(id, keysInState: nodes[id].core.queue.heldAndRememberedKeys, acknowledged: acknowledged)
            // Replicas that applied the same entries hold the same table, retention's removals included.
            let core = nodes[id].core
            let table = core.queue.snapshot()
            if let other = tableAt[core.applied], other.table != table {
                checker.observeRuntimeViolation("\(id) and \(other.id) applied up to \(core.applied) but hold different task tables")
            }
            tableAt[core.applied] = (id, table)
        }
    }
}
