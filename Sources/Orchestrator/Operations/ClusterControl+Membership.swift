import FlotillaAPI
import Foundation

extension ClusterControl {
    /// Spawns a node, joins it as a learner, waits (reporting progress) until it has caught up,
    /// then promotes it to voter. Returns its id.
    @discardableResult
    public func scaleUp(timeout: Duration = .seconds(60)) async throws -> String {
        try await act("scale up", OperatorAction(verb: "scale-up")) {
            guard let launcher = client.launcher else {
                throw OrchestratorError("scaling up needs a local cluster (--dir): it starts a node process here")
            }
            let s = await snapshot()
            guard let leader = s.leader else { throw OrchestratorError("there is no leader to admit a new node; heal the cluster first") }
            let (spec, node) = try launcher.addNode()
            try await launcher.ensureHost(node.id)
            await client.track(node.id, admin: node.adminAddress)
            let pid = try launcher.start(node, spec: spec, mode: .join(leader.adminAddress))
            events.emit(.action, node: node.id, "started \(node.id) (pid \(pid)); joining through \(leader.id)", reason: "scale up")
            try await admitJoined(node, timeout: timeout, reason: "scale up")
            return (node.id, "\(node.id) caught up and is a voter")
        }
    }

    /// Waits until a node started with `--join` is a learner that has caught up with the leader
    /// (reporting progress as events), then promotes it and waits until it votes.
    func admitJoined(_ node: ClusterSpec.NodeSpec, timeout: Duration, reason: String) async throws {
        var lastReport = -1
        var announcedPending = false
        let (after, ok) = await client.wait(for: timeout, every: .milliseconds(200)) { now in
            if now.pending.contains(where: { $0.id == node.id }), !announcedPending {
                announcedPending = true
                events.emit(.action, node: node.id, "\(node.id) waits for approval: flotilla approve \(node.id)", reason: reason)
            }
            guard let l = now.leader, now.learners.contains(node.id) || now.voters.contains(node.id),
                  let mine = now.node(node.id)?.live else { return false }
            let percent = l.commit == 0 ? 100 : Int(min(100, mine.applied * 100 / l.commit))
            if percent / 25 != lastReport / 25 {
                lastReport = percent
                events.emit(.action, node: node.id, "\(node.id) catching up: applied \(mine.applied) of \(l.commit) (\(percent)%)", reason: reason)
            }
            return mine.applied + 64 >= l.commit  // within a few batches: under load it never stands still
        }
        guard ok else {
            throw OrchestratorError("\(node.id) did not catch up within \(timeout) (applied \(after.node(node.id)?.status?.applied ?? 0)); see \(node.logFile)")
        }
        if !after.voters.contains(node.id) {
            let _: OperationResult = try await admin.call("POST", try writeAddress(after), "/v1/members/\(node.id)/promote")
        }
        let (_, voter) = await client.wait(for: .seconds(10)) { $0.voters.contains(node.id) }
        guard voter else { throw OrchestratorError("\(node.id) caught up but was not promoted within 10s") }
    }

    /// Removes a node: hands leadership away first if it leads, removes it from the
    /// membership, stops its process and keeps its data dir unless `purge`.
    @discardableResult
    public func scaleDown(_ id: String? = nil, purge: Bool = false) async throws -> String {
        try await act("scale down", OperatorAction(verb: "scale-down", target: id)) {
            let s = await snapshot()
            let members = s.members
            guard members.count > 1 else { throw OrchestratorError("cannot scale below one node") }
            let victim: String
            if let id {
                _ = try member(id, in: s)
                guard members.contains(where: { $0.id == id }) else { throw OrchestratorError("\(id) is not a member of the cluster") }
                victim = id
            } else {
                // A learner first, then the newest follower; never the leader unless it is all that is left.
                let learners = members.filter { !$0.voter }.map(\.id)
                let followers = members.filter { $0.voter && $0.id != s.leader?.id }.map(\.id)
                guard let pick = learners.last ?? followers.sorted(by: idOrder).last else { throw OrchestratorError("no node to remove") }
                victim = pick
            }
            if s.voters == [victim] { throw OrchestratorError("cannot remove \(victim): it is the last voter") }
            if s.leader?.id == victim {
                events.emit(.action, node: victim, "\(victim) leads; transferring leadership away first", reason: "scale down")
                try await transfer()
            }
            let now = await snapshot()
            let _: OperationResult = try await admin.call("DELETE", try writeAddress(now), "/v1/members/\(victim)")
            let (_, gone) = await client.wait(for: .seconds(10)) { !$0.members.contains { $0.id == victim } }
            guard gone else { throw OrchestratorError("\(victim) is still a member 10s after its removal was accepted") }
            if let launcher = client.launcher, let node = try launcher.load().node(victim) {
                _ = await launcher.stop(node)
                try launcher.removeNode(victim, purge: purge)
                try await launcher.removeHost(victim)
            }
            intents.update { $0.stopped.remove(victim); $0.paused.remove(victim) }
            await client.forget(victim)
            let host = kernelFaults.map { "; its namespace \($0.lab.namespace(of: victim)) is gone" } ?? ""
            return (victim, (purge ? "\(victim) removed, stopped and its data deleted" : "\(victim) removed and stopped; its data dir is kept") + host)
        }
    }

    /// Changes the membership as `change` says, one node at a time, as one action (its steps are
    /// marked as part of it). Returns the nodes added or removed.
    @discardableResult
    public func scale(_ change: ScaleChange, purge: Bool = false) async throws -> [String] {
        try await act("scale \(change)", OperatorAction(verb: "scale", target: change.description, args: purge ? ["purge": "true"] : nil)) {
            let current = await snapshot().members.count
            var changed: [String] = []
            switch change {
            case .add(let k):
                for _ in 0..<k { changed.append(try await scaleUp()) }
            case .remove(let k):
                guard current - k >= 1 else { throw OrchestratorError("cannot scale below one node (the cluster has \(current))") }
                for _ in 0..<k { changed.append(try await scaleDown(purge: purge)) }
            case .removeNode(let id):
                changed.append(try await scaleDown(id, purge: purge))
            case .to(let size):
                guard size >= 1 else { throw OrchestratorError("cannot scale below one node") }
                while await snapshot().members.count > size { changed.append(try await scaleDown(purge: purge)) }
                while await snapshot().members.count < size { changed.append(try await scaleUp()) }
            }
            return (changed, changed.isEmpty ? "already \(current) nodes" : "changed \(changed.joined(separator: ", "))")
        }
    }

    /// Scales to `target` nodes one step at a time.
    public func scale(to target: Int) async throws -> [String] {
        guard target >= 1 else { throw OrchestratorError("cannot scale below one node") }
        var changed: [String] = []
        while true {
            let n = await snapshot().members.count
            if n == target { return changed }
            changed.append(n < target ? try await scaleUp() : try await scaleDown())
        }
    }

    /// An operator's decision on a join held by a cluster started with --approve-joins.
    public func approve(_ id: String, deny: Bool = false) async throws {
        let s = await snapshot()
        try await act(deny ? "deny \(id)" : "approve \(id)", node: id, OperatorAction(verb: deny ? "deny" : "approve", target: id)) {
            // Ask the leader now: a snapshot's list of pending joins may be a moment old.
            let list: MemberList = try await admin.call("GET", try writeAddress(s), "/v1/members")
            let pending = list.pending ?? []
            guard pending.contains(where: { $0.id == id }) else {
                let waiting = pending.map(\.id)
                throw OrchestratorError("no join from \(id) is pending" + (waiting.isEmpty ? " (none is)" : "; pending: \(waiting.joined(separator: ", "))"))
            }
            let r: OperationResult = try await admin.call("POST", try writeAddress(s), "/v1/members/\(id)/\(deny ? "deny" : "approve")")
            return ((), r.message)
        }
    }

    /// Founds an uninitialized cluster with every node the client knows as a voter.
    public func bootstrap(reason: String) async throws {
        guard let launcher = client.launcher else { throw OrchestratorError("bootstrapping needs a local cluster (--dir)") }
        let spec = try launcher.load()
        let founders = spec.nodes.map { MemberInfo(id: $0.id, raftAddress: $0.raftAddress, adminAddress: $0.adminAddress, voter: true) }
        var failed: [String] = []
        for n in spec.nodes {
            do {
                let _: OperationResult = try await admin.call("POST", n.adminAddress, "/v1/bootstrap", body: BootstrapRequest(members: founders))
            } catch {
                failed.append("\(n.id): \(error)")
            }
        }
        events.emit(.recovery, "bootstrapped \(spec.nodes.map(\.id).joined(separator: ","))" + (failed.isEmpty ? "" : "; failed on \(failed.joined(separator: "; "))"),
                    reason: reason, ok: failed.isEmpty)
        if !failed.isEmpty { throw OrchestratorError("bootstrap failed on \(failed.joined(separator: "; "))") }
    }
}

/// n2 before n10.
func idOrder(_ a: String, _ b: String) -> Bool {
    let na = Int(a.drop { !$0.isNumber }) ?? 0, nb = Int(b.drop { !$0.isNumber }) ?? 0
    return na == nb ? a < b : na < nb
}
