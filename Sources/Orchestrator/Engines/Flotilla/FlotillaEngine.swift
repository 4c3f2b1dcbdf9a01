import FlotillaAPI
import Foundation
import HistoryCheck
#if canImport(Glibc)
import Glibc
#endif

/// Flotilla's own node as an engine, over `ClusterControl`. Process faults on a node this machine
/// launched are signals (SIGKILL, SIGSTOP, SIGCONT); on a node reached through `--connect` they go
/// through the node's admin API (`POST /v1/faults/crash`, `POST /v1/faults/freeze`), so kill and
/// pause work there too. A frozen node thaws by itself: it cannot be resumed early, since it
/// answers nothing while frozen.
public final class FlotillaEngine: Engine {
    public let control: ClusterControl
    /// How long `pause` freezes a node reached through its admin API.
    public let remoteFreeze: Duration

    public init(control: ClusterControl, remoteFreeze: Duration = .seconds(10)) {
        self.control = control
        self.remoteFreeze = remoteFreeze
    }

    public var kind: String { "flotilla" }
    public var events: EventSink { control.events }

    public var launchedHere: Bool { control.client.launcher != nil }

    public var intents: IntentStore { control.intents }

    /// A node's disk fault is one of the rules `heal` clears.
    public var healEmptiesDisks: Bool { true }

    /// `flotilla load` on a local cluster leaves its pid in `load.pid`; SIGTERM ends it.
    public func stopLoadElsewhere() -> String? {
        guard let directory = control.client.launcher?.directory,
              let text = try? String(contentsOfFile: "\(directory)/load.pid", encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        Glibc.kill(pid, SIGTERM)
        return "stopped the load (pid \(pid))"
    }

    public func snapshot() async -> ClusterSnapshot { await control.snapshot() }

    /// The client's watchers: each node's status long-polled, not asked for every round. In a
    /// namespace lab each snapshot carries the kernel's cuts, loss and delays in the nodes' fault
    /// lines (`KernelFaultReading`, as etcd's feed does), since a node cannot see them itself.
    public func snapshots(every interval: Duration) -> AsyncStream<ClusterSnapshot> {
        KernelFaultReading.marked(control.client.snapshots(every: interval), control.kernelFaults, control.packetDelays)
    }

    public func shutdown() async { await control.client.shutdown() }

    /// Whether `member` is a process this machine launched (signals reach it).
    func isLocal(_ member: String) -> Bool {
        guard let launcher = control.client.launcher, let spec = try? launcher.load() else { return false }
        return spec.node(member) != nil
    }

    // MARK: Processes

    public func kill(_ member: String) async throws {
        if isLocal(member) { return try await control.kill(member) }
        try await control.crash(member)
    }

    public func restart(_ member: String) async throws { try await control.restart(member) }

    public func pause(_ member: String) async throws {
        if isLocal(member) { return try await control.pause(member) }
        try await control.freeze(member, for: remoteFreeze)
    }

    public func resume(_ member: String) async throws { try await control.resume(member) }

    // MARK: Membership and leadership

    public func addLearner() async throws -> String {
        guard let launcher = control.client.launcher else {
            throw OrchestratorError("adding a member needs a local cluster (--dir): it starts a node process here")
        }
        let s = await snapshot()
        guard let leader = s.leader else { throw OrchestratorError("there is no leader to admit a new node; heal the cluster first") }
        let (spec, node) = try launcher.addNode()
        try await launcher.ensureHost(node.id)
        await control.client.track(node.id, admin: node.adminAddress)
        let pid = try launcher.start(node, spec: spec, mode: .join(leader.adminAddress))
        events.emit(.action, node: node.id, "started \(node.id) (pid \(pid)); joining through \(leader.id) as a learner", reason: "add learner")
        let (_, joined) = await control.client.wait(for: .seconds(30), every: .milliseconds(200)) { $0.members.contains { $0.id == node.id } }
        guard joined else { throw OrchestratorError("\(node.id) did not join within 30 s; see \(node.logFile)") }
        return node.id
    }

    public func promote(_ member: String) async throws {
        guard let launcher = control.client.launcher, let node = try launcher.load().node(member) else {
            let s = await snapshot()
            let _: OperationResult = try await control.admin.call("POST", try control.writeAddress(s), "/v1/members/\(member)/promote")
            return
        }
        try await control.admitJoined(node, timeout: .seconds(60), reason: "promote")
    }

    public func remove(_ member: String) async throws { _ = try await control.scaleDown(member) }

    public func scale(_ change: ScaleChange, purge: Bool) async throws -> [String] { try await control.scale(change, purge: purge) }

    @discardableResult
    public func transfer(to member: String?) async throws -> String { try await control.transfer(to: member) }

    public func replace(_ member: String) async throws { try await control.replace(member) }

    // MARK: Storage

    /// The node's own disk fault (its storage's fsync delay, or ENOSPC on every write).
    public func disk(_ target: NodeTarget, _ fault: DiskFault) async throws -> String {
        try await control.disk(target.description, fault)
        return ""
    }

    // MARK: Network

    /// The nodes' filter, or the lab's nftables table when the nodes run in namespaces.
    public func partition(_ shape: PartitionShape) async throws -> String {
        if case .isolate(let n) = shape { return try await control.isolate(n).description }
        return try await control.partition(shape.spec).description
    }

    public func heal(timeout: Duration) async -> HealReport { await control.heal(timeout: timeout) }

    public func loss(_ links: LinkTarget, _ share: Share) async throws {
        try await control.loss(links.description, fraction: share.fraction)
    }

    public func mend(_ links: LinkTarget) async throws -> String { try await control.mend(links.description) }

    public func delay(_ links: LinkTarget, _ delay: TimeSpan, jitter: TimeSpan) async throws {
        try await control.delay(links.description, ms: delay.milliseconds, jitter: jitter.milliseconds)
    }

    public func reorder(_ links: LinkTarget, _ share: Share) async throws {
        try await control.reorder(links.description, fraction: share.fraction)
    }

    // MARK: Workload

    /// Echo tasks at 50/s with a linearizable read of the task table every 4th operation.
    public func loadClient() -> any LoadClient { FlotillaLoadClient(control: control) }

    public func workload(for duration: Duration) async throws -> [HistoryOperation] {
        let load = LoadGenerator(control: control, rate: 50, readEvery: 4)
        await load.start(duration: duration)
        await load.finish()
        return ClientHistory.history(ClientHistory.lines(await load.history))
    }

    public func refusal(_ command: OperatorCommand) -> String? {
        let connected = control.client.launcher == nil
        switch command {
        case .restart where connected, .replace where connected:
            return "\(command.verb) starts a node process here: it needs a local cluster (--dir), not --connect"
        case .resume where connected:
            return "a node frozen through its admin API thaws by itself after \(remoteFreeze.milliseconds) ms; it answers nothing until then"
        case .scale(let change, _) where connected:
            switch change {
            case .add, .to: return "scaling up starts a node process here: it needs a local cluster (--dir), not --connect"
            case .remove, .removeNode: return nil
            }
        default:
            return nil
        }
    }
}
