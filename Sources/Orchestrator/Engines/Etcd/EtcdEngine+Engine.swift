import FlotillaAPI
import Foundation
import HistoryCheck

/// etcd behind the seam: the verbs Flotilla's node takes, carried out with etcd's own API and,
/// for a cluster Flotilla launched, its members' processes. Each verb is reported on `events`
/// as an action, as `ClusterControl` reports Flotilla's.
extension EtcdEngine: Engine {
    public var kind: String { "etcd" }
    public var launchedHere: Bool { local != nil }

    /// A member's tmpfs stays full through a heal: panic and chaos empty it with `disk … ok`.
    public var healEmptiesDisks: Bool { false }

    /// `flotilla load` on etcd runs its workload inside its own session and leaves no pid to stop.
    public func stopLoadElsewhere() -> String? { nil }

    /// Runs `body` and reports it as an action event with its outcome.
    func act<T>(_ verb: String, _ target: String?, _ body: () async throws -> (T, String)) async throws -> T {
        let what = verb + (target.map { " \($0)" } ?? "")
        let action = OperatorAction(verb: verb, target: target)
        do {
            // The steps it takes on the way (scale's learners and removals) are marked as part of it, so a replay runs it once.
            let (value, outcome) = try await ActionOrigin.$current.withValue("\(action.by) via \(verb)") {
                try await CommandInFlight.$current.withValue(nil) { try await body() }
            }
            events.emit(.action, node: target, "\(what): \(outcome)", reason: "operator", category: verb, action: action)
            return value
        } catch {
            events.emit(.action, node: target, "\(what) failed: \(error)", reason: "operator", ok: false, category: verb, action: action)
            throw error
        }
    }

    public func kill(_ member: String) async throws {
        try await act("kill", member) {
            try await self.killProcess(member)
            self.intents.update { $0.stopped.insert(member); $0.paused.remove(member) }
            return ((), "SIGKILL")
        }
    }

    public func restart(_ member: String) async throws {
        try await act("restart", member) {
            let (local, m) = try self.member(member)
            if local.pid(of: m) != nil, !(await local.stop(m)) { throw OrchestratorError("\(member) did not stop") }
            try self.startProcess(member)
            self.intents.update { $0.stopped.remove(member); $0.paused.remove(member) }
            let client = self.client
            let started = await StartOutcome.watch(
                running: { local.pid(of: m) != nil },
                answer: { (try? await client.status(m.clientAddress)).map { "answering in term \($0.raftTerm)" } },
                exit: { local.exit(of: m)?.reason })
            return ((), try started.outcome(member, pid: local.pid(of: m), log: m.logFile))
        }
    }

    public func pause(_ member: String) async throws {
        try await act("pause", member) {
            try self.pauseProcess(member)
            self.intents.update { $0.paused.insert(member) }
            return ((), "SIGSTOP")
        }
    }

    public func resume(_ member: String) async throws {
        try await act("resume", member) {
            try self.resumeProcess(member)
            self.intents.update { $0.paused.remove(member) }
            return ((), "SIGCONT")
        }
    }

    public func addLearner() async throws -> String {
        try await act("add-learner", nil) {
            let name = try await self.addLearner(within: .seconds(15))
            return (name, "\(name) started and added as a learner")
        }
    }

    public func promote(_ member: String) async throws {
        try await act("promote", member) {
            try await self.promote(member, within: .seconds(20))
            return ((), "\(member) votes")
        }
    }

    public func remove(_ member: String) async throws {
        try await act("remove", member) {
            try await self.remove(member, within: .seconds(15))
            return ((), "\(member) removed; its process ended")
        }
    }

    public func scale(_ change: ScaleChange, purge: Bool) async throws -> [String] {
        try await act("scale", change.description) {
            let changed = try await self.scaleByMembers(change)
            return (changed, changed.isEmpty ? "nothing to change" : "changed \(changed.joined(separator: ", "))")
        }
    }

    /// Hands leadership to `member`, or to the voter with the highest applied index, and waits
    /// (10 s at most) until that member is seen leading.
    @discardableResult
    public func transfer(to member: String?) async throws -> String {
        try await act("transfer", member) {
            let s = await self.snapshot()
            guard let old = s.leader else { throw OrchestratorError("the etcd cluster has no leader to transfer from") }
            let target: String
            if let member {
                guard s.voters.contains(member) else { throw OrchestratorError("\(member) is not a voter of the etcd cluster; only voters can lead") }
                if member == old.id { throw OrchestratorError("\(member) already leads") }
                target = member
            } else {
                let others = s.nodes.compactMap(\.live).filter { $0.id != old.id && s.voters.contains($0.id) }
                guard let best = others.max(by: { $0.applied < $1.applied }) else { throw OrchestratorError("no other voter answers") }
                target = best.id
            }
            try await self.transferLeadership(to: target)
            let (after, ok) = await self.wait(for: .seconds(10)) { $0.leader?.id == target }
            guard ok, let l = after.leader else { throw OrchestratorError("etcd took the transfer to \(target) but it was not seen leading within 10 s") }
            return (l.id, "from \(old.id); \(l.id) leads in term \(l.term)")
        }
    }

    /// Puts and linearizable gets on a few keys from every member's client address.
    public func loadClient() -> any LoadClient { EtcdLoadClient(engine: self) }

    public func workload(for duration: Duration) async throws -> [HistoryOperation] {
        let endpoints = await snapshot().nodes.map(\.adminAddress)
        return await EtcdWorkload().run(client, endpoints: endpoints, for: duration)
    }

    public func refusal(_ command: OperatorCommand) -> String? {
        switch command {
        case .kill, .restart, .pause, .resume:
            return local == nil ? "\(command.verb) signals a member's process: it needs an etcd cluster Flotilla launched (`flotilla up --engine etcd`)" : nil
        case .transfer, .scale(_, _):
            if case .scale(let change, _) = command, local == nil {
                switch change {
                case .add, .to: return "scaling etcd up starts a member here: it needs a cluster from `flotilla up --engine etcd`"
                case .remove, .removeNode: return nil
                }
            }
            return nil
        case .partition, .heal, .loss, .mend:
            return kernelFaults == nil ? Self.needsNetns(command.verb) : nil
        case .delay, .reorder:
            // Both go through NFQUEUE in the lab's switch; loopback has no switch to queue in.
            return packetDelays == nil ? Self.needsNetns(command.verb) : nil
        case .duplicate:
            return "duplicate on etcd needs netem, which this kernel lacks; the NFQUEUE releaser holds frames but does not copy them"
        case .disk(_, .slow):
            return Self.slowDiskRefusal
        case .disk:
            return diskRefusal
        case .skew:
            return "skew sets a fault inside Flotilla's node; etcd has no such hook"
        case .replace:
            return local == nil ? "replace starts a member here: it needs an etcd cluster Flotilla launched (`flotilla up --engine etcd`)" : nil
        case .submit, .cancel, .approve, .deny:
            return "\(command.verb) is a Flotilla task-queue verb; etcd has no tasks or held joins"
        case .load, .panic:
            return nil
        case .recover:
            return local == nil ? "recovery restarts members: it needs an etcd cluster Flotilla launched (`flotilla up --engine etcd`)" : nil
        }
    }
}
