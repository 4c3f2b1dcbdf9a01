import FlotillaAPI
import Foundation

/// Network faults on an etcd cluster whose members run in a namespace lab (`up --engine etcd
/// --net netns`): the same nftables table, the same plans and the same verification as
/// Flotilla's nodes in a lab get, since etcd has no fault filter of its own. On loopback or
/// over `--connect` there is nothing to cut with, and `refusal(_:)` says so first.
extension EtcdEngine {
    /// The kernel's faults for a local cluster in a namespace lab; nil on loopback or `--connect`.
    public var kernelFaults: KernelFaults? {
        guard let lab = try? local?.load().network else { return nil }
        return KernelFaults(lab: lab)
    }

    /// Kernel delay, jitter and reordering (NFQUEUE and this executable's `packet-releaser`) for a
    /// local cluster in a namespace lab; nil on loopback or `--connect`.
    public var packetDelays: PacketDelays? {
        guard let local, let lab = try? local.load().network else { return nil }
        return PacketDelays(lab: lab, directory: local.directory, executable: releaser)
    }

    /// The one line a network fault on an etcd cluster outside a lab is refused with.
    public static func needsNetns(_ verb: String) -> String {
        "\(verb) on etcd needs kernel link faults: start the cluster with `flotilla up --engine etcd --net netns` (root, iproute2, nftables)"
    }

    /// The members a fault can name: those of `etcd.json` (a removed member's host stays in the lab).
    private func faultMembers() throws -> [String] {
        guard let spec = try local?.load() else { return [] }
        return spec.members.map(\.name)
    }

    public func partition(_ shape: PartitionShape) async throws -> String {
        let verb = if case .isolate = shape { "isolate" } else { "partition" }
        return try await act(verb, shape.spec) {
            guard let kernel = self.kernelFaults else { throw OrchestratorError(Self.needsNetns(verb)) }
            let members = try self.faultMembers()
            if case .isolate(let n) = shape, n != "leader", !members.contains(n) {
                throw OrchestratorError("no member \(n); the members are \(members.joined(separator: ", "))")
            }
            let s = await self.snapshot()
            let plan = try PartitionPlan.parse(shape.spec, members: members, leader: s.leader?.id)
            try await kernel.apply(plan)
            return (plan.description, "\(plan.description): nftables rules set in table \(kernel.table)")
        }
    }

    /// Deletes the run's table and verifies: the table is no longer listed, a leader leads every
    /// answering voter, and the leader's `/metrics` shows no member that is up as unreachable
    /// (it lags a reconnection by a few seconds). Incomplete until all hold or `timeout` passes.
    public func heal(timeout: Duration) async -> HealReport {
        var report = HealReport()
        guard let kernel = kernelFaults else {
            report.dirty.insert(Self.needsNetns("heal"))
            return report
        }
        let kernelHeal = KernelHeal(faults: kernel, delays: packetDelays)
        await kernelHeal.start()
        let deadline = ContinuousClock.now + timeout
        while true {
            report.unconfirmedLinks = []
            report.dirty = await kernelHeal.leftovers()
            let s = await snapshot()
            report.down = Set(s.nodes.filter { !$0.up }.map(\.id))
            if let leader = s.leader {
                for o in s.live where s.voters.contains(o.id) && o.leader != leader.id { report.unconfirmedLinks.insert("\(o.id) follows no \(leader.id)") }
                for p in leader.peers where p.status == "unreachable" && !report.down.contains(p.id) {
                    report.unconfirmedLinks.insert("\(leader.id)-\(p.id)")
                }
            } else {
                report.unconfirmedLinks.insert("no leader yet")
            }
            if report.complete || ContinuousClock.now >= deadline { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        events.emit(.action, "heal: \(report.summary)", reason: "operator", ok: report.complete, category: "heal",
                    action: OperatorAction(verb: "heal"))
        return report
    }

    /// Loss through nftables on the links `links` names, replacing their earlier rule.
    public func loss(_ links: LinkTarget, _ share: Share) async throws {
        let percent = Int((share.fraction * 100).rounded())
        try await act("loss", links.description) {
            guard let kernel = self.kernelFaults else { throw OrchestratorError(Self.needsNetns("loss")) }
            guard (0...1).contains(share.fraction) else { throw OrchestratorError("loss is 0% to 100%, not \(share)") }
            let chosen = try await kernel.loss(links.description, members: try self.faultMembers(), percent: percent)
            return ((), "\(percent)% on \(chosen.count) link\(chosen.count == 1 ? "" : "s") in table \(kernel.table)")
        }
    }

    /// Removes the cuts on `links` from the run's table; loss and the other cuts stay.
    public func mend(_ links: LinkTarget) async throws -> String {
        try await act("mend", links.description) {
            guard let kernel = self.kernelFaults else { throw OrchestratorError(Self.needsNetns("mend")) }
            let chosen = try LinkSelection.directed(links.description, members: try self.faultMembers())
            let removed = try await kernel.mend(chosen)
            let text = ClusterControl.mendReport(removed: CutLinks(rules: removed), left: CutLinks(rules: try await kernel.rules()),
                                                 where: "table \(kernel.table)")
            return (text, text)
        }
    }

    /// Delay ± jitter through NFQUEUE on `links`, as Flotilla's nodes in a lab get it; 0 and 0 clear it.
    public func delay(_ links: LinkTarget, _ delay: TimeSpan, jitter: TimeSpan) async throws {
        let (ms, j) = (delay.milliseconds, jitter.milliseconds)
        try await act("delay", links.description) {
            guard let delays = self.packetDelays else { throw OrchestratorError(Self.needsNetns("delay")) }
            guard (0...LinkFaultSpec.maxMs).contains(ms), (0...LinkFaultSpec.maxMs).contains(j) else {
                throw OrchestratorError("a delay and its jitter must be between 0 and \(LinkFaultSpec.maxMs) ms")
            }
            return ((), "\(ms)ms" + (j > 0 ? "±\(j)" : "") + " (NFQUEUE): " + (try await delays.change(links.description) { $0.delayMs = ms; $0.jitterMs = j }))
        }
    }

    /// Holds `share` of the frames on `links` one more hold through NFQUEUE; 0 clears it.
    public func reorder(_ links: LinkTarget, _ share: Share) async throws {
        let percent = Int((share.fraction * 100).rounded())
        try await act("reorder", links.description) {
            guard let delays = self.packetDelays else { throw OrchestratorError(Self.needsNetns("reorder")) }
            guard (0...1).contains(share.fraction) else { throw OrchestratorError("reorder is 0% to 100%, not \(share)") }
            return ((), "\(percent)% (NFQUEUE): " + (try await delays.change(links.description) { $0.reorderPercent = percent }))
        }
    }
}

extension EtcdEngine {
    /// The console's feed: a snapshot about every `interval`, and on a cluster in a lab each
    /// member's fault lines carry the run's kernel rules (`KernelFaultReading`, shared with
    /// Flotilla's nodes in a lab), since etcd cannot report a cut it does not know of; the Reach
    /// matrix and the fault list then show it. Only this feed reads the tables.
    public func snapshots(every interval: Duration) -> AsyncStream<ClusterSnapshot> {
        let kernel = kernelFaults
        let delays = packetDelays
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let poller = Task {
                while !Task.isCancelled {
                    let s = await self.snapshot()
                    continuation.yield(await KernelFaultReading.read(kernel, delays).marking(s))
                    try? await Task.sleep(for: interval)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in poller.cancel() }
        }
    }
}
