import FlotillaAPI
import Foundation
import Synchronization

/// An etcd cluster under Flotilla's control: what the engine seam asks of an engine, for etcd.
/// It observes every member (status, member list, `/metrics`) into the `ClusterSnapshot` the rest
/// of the control plane reads, changes membership (learner, promote, remove), transfers
/// leadership, and for a cluster it launched itself (`local`) kills, pauses, resumes and
/// restarts members' processes, fills and empties their disks, and replaces them.
///
/// A cluster Flotilla did not start is reached through `connect`: members are then found from
/// the member list, and process faults are refused.
public final class EtcdEngine: Sendable {
    public let local: EtcdLocalCluster?
    public let client: EtcdClient
    /// Where its actions are reported (the `Engine` seam's verbs), with their outcome.
    public let events = EventSink()
    /// Client addresses to ask for the member list when no member is known yet (`connect`).
    let seeds: [String]
    /// The `flotilla` executable whose `packet-releaser` holds kernel-delayed packets in a lab.
    public let releaser: String
    /// What the operator meant (members stopped or paused on purpose, the recovery mode): in
    /// the cluster's `operator.json` for a local cluster, so recovery in another process sees it.
    public let intents: IntentStore

    private struct Memory {
        var seq: UInt64 = 0
        var last: ClusterSnapshot?
        var members: [EtcdMember] = []
    }

    private let memory = Mutex(Memory())

    public init(local: EtcdLocalCluster, releaser: String = Launcher.currentExecutable) {
        self.local = local
        client = EtcdClient()
        seeds = []
        self.releaser = releaser
        intents = IntentStore(directory: local.directory)
    }

    /// An etcd cluster Flotilla did not launch, by some of its members' client addresses.
    public init(connect addresses: [String]) {
        local = nil
        client = EtcdClient()
        seeds = addresses
        releaser = Launcher.currentExecutable
        intents = IntentStore(directory: nil)
    }

    public func shutdown() async { await client.shutdown() }

    /// Creates a local cluster of `members` in `directory` (in `network`, a lab already built,
    /// when given), starts it and waits until a leader is seen. On failure every member started
    /// is killed again (the lab stays: its maker tears it down).
    /// `disks`: each member's data on a tmpfs of its own (as root), for `disk N full`; a benchmark
    /// leaves them out, so etcd writes to the same file system, with the same fsyncs, as Flotilla's nodes.
    public static func launch(members: Int, in directory: String, memberArgs: [String] = [], network: NetnsLab? = nil,
                              disks: Bool = geteuid() == 0,
                              within: Duration = .seconds(20), releaser: String = Launcher.currentExecutable) async throws -> EtcdEngine {
        let cluster = try EtcdLocalCluster(directory: directory)
        let spec = try cluster.create(members: members, memberArgs: memberArgs, network: network, disks: disks)
        let engine = EtcdEngine(local: cluster, releaser: releaser)
        do {
            for m in spec.members { try cluster.start(m, spec: spec) }
            let (s, ok) = await engine.wait(for: within) { $0.leader != nil }
            guard ok else {
                throw OrchestratorError("etcd elected no leader within \(within) (\(s.headline); logs in \(cluster.directory)/e*/etcd.log)")
            }
        } catch {
            cluster.killAllNow()
            await engine.shutdown()
            throw error
        }
        return engine
    }

    /// `flotilla up --engine etcd`: starts every member of the cluster in `directory` that is not
    /// running, creating it with `members` members first when there is none; waits until every
    /// member answers and one leads (a leader alone will do after `within`).
    /// Members started stay up when no leader comes (their logs say why).
    /// With `network` (a lab already built) a new cluster's members are its hosts; an existing
    /// cluster keeps the lab `etcd.json` names, which is rebuilt if it is gone.
    public static func up(members: Int, in directory: String, memberArgs: [String] = [], network: NetnsLab? = nil,
                          within: Duration = .seconds(20)) async throws -> (EtcdEngine, ClusterSnapshot) {
        let cluster = try EtcdLocalCluster(directory: directory)
        let spec = EtcdLocalCluster.exists(in: directory)
            ? try cluster.load() : try cluster.create(members: members, memberArgs: memberArgs, network: network)
        if let lab = spec.network, !(try await lab.exists()) {
            try await lab.build()
        }
        for m in spec.members { try cluster.start(m, spec: spec) }
        let engine = EtcdEngine(local: cluster)
        // Every member answering is the goal; a leader is enough once `within` has passed.
        let (s, _) = await engine.wait(for: within) { $0.leader != nil && $0.nodes.allSatisfy(\.up) }
        guard s.leader != nil else {
            await engine.shutdown()
            throw OrchestratorError("etcd elected no leader within \(within); see the logs in \(cluster.directory)/e*/etcd.log\n\(s.table())")
        }
        return (engine, s)
    }

    // MARK: Observing

    /// Asks every member for its status, Raft state and `/metrics` at once (one second each at most), and
    /// the leader (else any answering member) for the member list.
    public func observe() async -> EtcdObservation {
        let targets = self.targets()
        let views = await withTaskGroup(of: (Int, EtcdMemberView).self) { group in
            for (i, target) in targets.enumerated() {
                group.addTask {
                    var view = target
                    do {
                        // Status and Raft state together: a member whose Raft state did not come
                        // this round (but is served) counts as not answering, never as a member
                        // whose term is the lagging applied term.
                        async let raft = self.client.raftState(target.clientAddress)
                        view.status = try await self.client.status(target.clientAddress)
                        view.raft = try await raft
                        view.metrics = try? await self.client.metrics(target.clientAddress)
                    } catch {
                        view.status = nil
                        view.error = "\(error)"
                    }
                    return (i, view)
                }
            }
            var out = targets
            for await (i, view) in group { out[i] = view }
            return out
        }
        let answering = views.filter { $0.status != nil }.sorted { $0.leads && !$1.leads }
        var members: [EtcdMember]?
        for v in answering {
            if let list = try? await client.members(v.clientAddress, timeout: .seconds(1)) {
                members = list
                break
            }
        }
        let known = memory.withLock { m in
            if let members { m.members = members }
            return m.members
        }
        var observation = EtcdObservation(views: views, members: known, takenAt: Date())
        if local == nil {
            // Members found through the list are named by the list.
            for i in observation.views.indices {
                if let id = observation.views[i].status?.memberID, observation.members.contains(where: { $0.id == id }) {
                    observation.views[i].name = observation.name(of: id)
                }
            }
        }
        return observation
    }

    /// Who to ask: a local cluster's members from `etcd.json`; otherwise every client address
    /// the member list names, and the seeds.
    private func targets() -> [EtcdMemberView] {
        if let local, let spec = try? local.load() {
            return spec.members.map {
                EtcdMemberView(name: $0.name, clientAddress: $0.clientAddress, peerAddress: $0.peerAddress, process: local.processState($0))
            }
        }
        let members = memory.withLock { $0.members }
        var out: [EtcdMemberView] = members.compactMap { m in
            guard let client = m.clientAddress else { return nil }
            return EtcdMemberView(name: m.name.isEmpty ? client : m.name, clientAddress: client, peerAddress: m.peerAddress ?? "")
        }
        for seed in seeds where !out.contains(where: { $0.clientAddress == seed }) {
            out.append(EtcdMemberView(name: seed, clientAddress: seed, peerAddress: ""))
        }
        return out
    }

    /// One polling round as a snapshot: down members keep their last status. On a local cluster
    /// a member whose tmpfs is full carries `disk full` in its fault line, and one that is not
    /// running says why it ended (its log's last critical line), as etcd cannot say either.
    public func snapshot() async -> ClusterSnapshot {
        let observation = await observe()
        let s = memory.withLock { m in
            m.seq += 1
            let s = observation.snapshot(seq: m.seq, previous: m.last)
            m.last = s
            return s
        }
        return markingDisks(s)
    }

    /// `s` with full disks in the members' fault lines and the exits of members that are not running.
    func markingDisks(_ s: ClusterSnapshot) -> ClusterSnapshot {
        guard let local, let spec = try? local.load() else { return s }
        var out = s
        for i in out.nodes.indices {
            guard let m = spec.member(out.nodes[i].id) else { continue }
            if out.nodes[i].process == .stopped { out.nodes[i].exit = local.exit(of: m) }
            if let disk = m.disk, disk.isFull, var status = out.nodes[i].status {
                status.faults.diskFull = true
                out.nodes[i].status = status
            }
        }
        return out
    }


    // MARK: Process control (local clusters)

    /// A local member and its cluster, or why there is none.
    public func member(_ name: String) throws -> (cluster: EtcdLocalCluster, spec: EtcdMemberSpec) {
        guard let local else { throw OrchestratorError("\(name): process faults need a cluster Flotilla launched (`flotilla up --engine etcd`)") }
        guard let m = try local.load().member(name) else { throw OrchestratorError("no member \(name) in \(local.directory)/etcd.json") }
        return (local, m)
    }

    /// SIGKILL, and waits until the process is gone.
    public func killProcess(_ name: String) async throws {
        let (local, m) = try member(name)
        guard await local.kill(m) else { throw OrchestratorError("\(name) is not running") }
    }

    public func pauseProcess(_ name: String) throws {
        let (local, m) = try member(name)
        guard local.pause(m) else { throw OrchestratorError("\(name) is not running") }
    }

    public func resumeProcess(_ name: String) throws {
        let (local, m) = try member(name)
        guard local.resume(m) else { throw OrchestratorError("\(name) is not running") }
    }

    /// Starts a stopped member again on its data dir (a running one is left as it is).
    public func startProcess(_ name: String) throws {
        let (local, m) = try member(name)
        try local.start(m, spec: try local.load())
    }

    /// Stops every member of a local cluster.
    public func stopAll() async -> Bool { await local?.stopAll() ?? true }

    /// Stops every member of a local cluster, removes its namespace lab if it has one, closes the
    /// client, and with `removing` deletes the cluster's directory.
    /// Every member's tmpfs is unmounted; with `keepingData` (and not `removing`) its data is first
    /// moved to the directory's own file system for a later `up` (a copy of 130 MB or so per
    /// member, which a test's teardown does not need).
    public func tearDown(removing: Bool, keepingData: Bool = false) async {
        if let local {
            if !(await local.stopAll()) { local.killAllNow() }
            local.releaseDisks(keepingData: keepingData && !removing)
            if let lab = try? local.load().network { try? await lab.teardown() }
            if removing { try? FileManager.default.removeItem(atPath: local.directory) }
        }
        await client.shutdown()
    }

    /// The pids of a local cluster's running members.
    public func pids() -> [pid_t] {
        guard let local, let spec = try? local.load() else { return [] }
        return spec.members.compactMap { local.pid(of: $0) }
    }

    /// The leader's client address, polling until `within` passes; nil when none was seen.
    public func leaderAddress(within: Duration) async -> String? {
        let (s, _) = await wait(for: within) { $0.leader != nil }
        return s.leader?.adminAddress
    }

    // MARK: Membership and leadership

    /// The leader's client address and id, from a fresh round.
    public func leader() async throws -> (address: String, id: EtcdMemberID) {
        let o = await observe()
        guard let v = o.views.first(where: \.leads), let id = v.status?.memberID else {
            throw OrchestratorError("the etcd cluster has no leader now")
        }
        return (v.clientAddress, id)
    }

    /// The id etcd knows `name` by.
    public func id(of name: String) async throws -> EtcdMemberID {
        let o = await observe()
        guard let m = o.members.first(where: { o.name(of: $0.id) == name }) else {
            throw OrchestratorError("\(name) is not a member of the etcd cluster")
        }
        return m.id
    }

    /// Hands leadership to `name`, asking the leader (etcd takes it only there); about 100 ms.
    public func transferLeadership(to name: String) async throws {
        let target = try await id(of: name)
        let leader = try await leader()
        if leader.id == target { return }
        try await client.transferLeadership(leader.address, to: target)
    }

    /// Adds a new local member as a learner and starts it with `--initial-cluster-state existing`;
    /// returns its name. It has no vote until `promote`. etcd refuses (503) while its voters have
    /// been connected for less than 5 s; this asks again until `within` passes.
    public func addLearner(within: Duration = .seconds(15)) async throws -> String {
        guard let local else { throw OrchestratorError("adding a member needs a cluster Flotilla launched") }
        let o = await observe()
        guard let contact = o.views.first(where: \.leads) ?? o.views.first(where: { $0.status != nil }) else {
            throw OrchestratorError("no etcd member answers")
        }
        let current = o.members.map { o.name(of: $0.id) }
        let planned = try local.planMember(joining: current)
        do {
            try await whileUnhealthy(until: ContinuousClock.now + within) {
                _ = try await self.client.addMember(contact.clientAddress, peerURL: planned.peerURL, learner: true)
            }
        } catch {
            try? local.forget(planned.name)
            throw error
        }
        try await local.ensureHost(planned.name)
        try local.start(planned, spec: try local.load())
        return planned.name
    }

    /// Promotes learner `name` once it is in sync: etcd refuses (412) before, and (503) while the
    /// cluster is younger than its 5 s health window, so this asks again every 200 ms until
    /// `within` passes.
    public func promote(_ name: String, within: Duration = .seconds(20)) async throws {
        let id = try await id(of: name)
        let deadline = ContinuousClock.now + within
        while true {
            do {
                try await client.promote(try await leader().address, id)
                return
            } catch let e as EtcdError where (e.isPreconditionFailed || e.isUnhealthyCluster) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            } catch is OrchestratorError where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))  // no leader at this instant: ask again
            }
        }
    }

    /// Runs `change` again every 200 ms while etcd answers 503 "unhealthy cluster" (its members
    /// have not been connected for 5 s yet), until `deadline`.
    func whileUnhealthy<T>(until deadline: ContinuousClock.Instant, _ change: () async throws -> T) async throws -> T {
        while true {
            do {
                return try await change()
            } catch let e as EtcdError where e.isUnhealthyCluster && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Scale up by one: a learner that catches up and is promoted. Returns the new member's name.
    public func scaleUp(within: Duration = .seconds(20)) async throws -> String {
        let name = try await addLearner()
        try await promote(name, within: within)
        return name
    }

    /// Removes `name` from the membership, first handing leadership to another voter if it leads;
    /// the member exits by itself once it learns of it, and leaves `etcd.json`. etcd refuses a
    /// removal until the members that stay have been connected for 5 s: this asks again every
    /// 200 ms until `within` passes.
    public func remove(_ name: String, within: Duration = .seconds(15)) async throws {
        try await removeMembership(name, within: within)
        if let (local, m) = try? member(name) {
            if let pid = local.pid(of: m), !(await Spawn.waitForExit(pid, within: .seconds(5))) { _ = await local.stop(m) }
            m.disk?.unmount()
            try local.forget(name)
        }
    }

    /// Takes `name` out of etcd's membership (leadership handed away first if it leads); its
    /// process and its entry in `etcd.json` are left to the caller.
    func removeMembership(_ name: String, within: Duration) async throws {
        let deadline = ContinuousClock.now + within
        let id = try await id(of: name)
        var leader = try await leader()
        if leader.id == id {
            let o = await observe()
            guard let other = o.members.first(where: { $0.id != id && !$0.isLearner }) else {
                throw OrchestratorError("\(name) is the only voter: nothing to hand leadership to")
            }
            try await client.transferLeadership(leader.address, to: other.id)
            let (_, moved) = await wait(for: .seconds(5)) { $0.leader.map { $0.id != name } ?? false }
            guard moved else { throw OrchestratorError("leadership did not move away from \(name) within 5 s") }
            leader = try await self.leader()
        }
        let at = leader.address
        try await whileUnhealthy(until: deadline) { try await self.client.removeMember(at, id) }
    }
}
