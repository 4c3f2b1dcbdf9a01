import FlotillaAPI
import Foundation

/// Discovers every member of a cluster from any node that answers and polls them all,
/// producing a `ClusterSnapshot` per round. Members are added as they appear and never
/// dropped when they stop answering (only `forget` drops one, after a removal).
public actor ClusterClient {
    public nonisolated let admin: AdminClient
    public nonisolated let launcher: Launcher?
    /// Known members, in the order first seen.
    private var known: [(id: String, admin: String)]
    private var last: [String: NodeObservation] = [:]
    private var seq: UInt64 = 0
    /// Pending joins as the leader last listed them.
    private var pendingSeen: [JoinRequest]?
    /// How long one status call may take before the node counts as down this round.
    public var pollTimeout: Duration = .milliseconds(800)
    /// While a `snapshots` stream runs: how long a watcher's request waits at the node for a
    /// change, and how much longer it may take before the node counts as down.
    public private(set) var watchWait: Duration = .milliseconds(500)
    public private(set) var watchGrace: Duration = .milliseconds(250)
    /// What the watchers' requests came back with, for diagnostics and tests.
    public private(set) var watchAnswers = WatchAnswers()

    public struct WatchAnswers: Sendable, Equatable {
        /// A new status (a full body to decode).
        public var changed = 0
        /// The status last seen still holds (a bodiless 304).
        public var unchanged = 0
        /// No answer, or an error.
        public var failed = 0
    }

    /// Sets how long watchers wait at a node, and the grace after which a silent node is down.
    public func configureWatch(wait: Duration, grace: Duration) {
        watchWait = wait
        watchGrace = grace
    }
    private var watchers: [String: Task<Void, Never>] = [:]
    /// The snapshot interval while watching; nil when not.
    private var watchInterval: Duration?
    /// Running `snapshots` streams.
    private var streams = 0
    /// Why stopped local nodes ended, read from their logs when those change.
    private var exits = NodeExitCache()
    /// cluster.json as last read, and its version then.
    private var spec: (spec: ClusterSpec, version: Launcher.SpecVersion?)?

    public init(members: [(id: String, admin: String)], admin: AdminClient, launcher: Launcher? = nil) {
        self.known = members
        self.admin = admin
        self.launcher = launcher
    }

    /// A client of the local cluster in `launcher`'s directory, using its token.
    public static func local(_ launcher: Launcher) throws -> ClusterClient {
        let spec = try launcher.load()
        return ClusterClient(members: spec.nodes.map { ($0.id, $0.adminAddress) }, admin: AdminClient(token: try launcher.token()),
                             launcher: launcher)
    }

    /// A client of the cluster that any of `addresses` belongs to.
    public static func connect(_ addresses: [String], token: String?) async throws -> ClusterClient {
        let admin = AdminClient(token: token)
        var lastError = ""
        for a in addresses {
            do {
                let s = try await admin.status(a)
                let members = s.members.isEmpty ? [(s.id, s.adminAddress)] : s.members.map { ($0.id, $0.adminAddress) }
                return ClusterClient(members: members, admin: admin)
            } catch {
                lastError = "\(error)"
            }
        }
        await admin.shutdown()
        throw OrchestratorError("no node answers at \(addresses.joined(separator: ", ")): \(lastError)")
    }

    public func shutdown() async {
        stopWatching(all: true)
        await admin.shutdown()
    }

    public var memberIDs: [String] { known.map(\.id) }

    public func adminAddress(of id: String) -> String? { known.first { $0.id == id }?.admin }

    /// Stops tracking a member that was removed from the cluster.
    public func forget(_ id: String) {
        known.removeAll { $0.id == id }
        last[id] = nil
        watchers.removeValue(forKey: id)?.cancel()
    }

    /// Starts tracking a member before the cluster reports it (a node being added).
    public func track(_ id: String, admin address: String) {
        if !known.contains(where: { $0.id == id }) {
            known.append((id, address))
            watch((id, address))
        }
    }

    /// Polls every known member once, in parallel, and learns members any of them reports.
    public func poll() async -> ClusterSnapshot {
        let members = known
        let answers = await ClusterClient.fetch(members, admin: admin, timeout: pollTimeout)
        let now = Date()
        for m in members {
            if let s = answers[m.id]?.status {
                heard(m, .changed(s), at: now)
            } else {
                heard(m, .failed(answers[m.id]?.error), at: now)
            }
        }
        return await assemble(at: now)
    }

    /// What one status request told about a member.
    enum Heard {
        case changed(NodeStatus)
        /// The node answered that its status is the one last seen.
        case unchanged
        case failed(String?)
    }

    /// Records what a member answered (or not) in its observation.
    private func heard(_ m: (id: String, admin: String), _ what: Heard, at now: Date) {
        guard known.contains(where: { $0.id == m.id }) else { return }  // forgotten meanwhile
        var o = last[m.id] ?? NodeObservation(id: m.id, adminAddress: m.admin)
        switch what {
        case .changed(let s):
            o.status = s
            o.up = true
            o.lastSeen = now
            o.error = nil
        case .unchanged:
            // The node's clock moved on even though nothing else did.
            if let seen = o.lastSeen, o.status != nil {
                o.status!.age(by: UInt64(max(0, now.timeIntervalSince(seen)) * 1000))
            }
            o.up = o.status != nil
            o.lastSeen = now
            o.error = nil
        case .failed(let error):
            o.up = false
            o.error = error
        }
        last[m.id] = o
    }

    /// A snapshot of the latest observations: process states of local nodes, members the
    /// cluster reports that are not tracked yet, and the joins waiting for approval.
    private func assemble(at now: Date) async -> ClusterSnapshot {
        let spec = localSpec()
        var nodes: [NodeObservation] = []
        for m in known {
            var o = last[m.id] ?? NodeObservation(id: m.id, adminAddress: m.admin)
            if let launcher, let node = spec?.node(m.id) {
                o.process = launcher.processState(node)
                o.exit = o.process == .stopped ? exits.exit(of: node) : nil
            }
            last[m.id] = o
            nodes.append(o)
        }
        // Learn members the cluster reports that we do not track yet (a join, a scale-up by someone else).
        var snapshot = ClusterSnapshot(seq: seq, takenAt: now, nodes: nodes)
        seq += 1
        for m in snapshot.members where !known.contains(where: { $0.id == m.id }) {
            known.append((m.id, m.adminAddress))
            if watchInterval != nil { watch(known[known.count - 1]) }
        }
        // Joins waiting for approval change rarely: ask the leader every few rounds, and keep the answer between.
        if let leader = snapshot.leader {
            if seq % 5 == 1 || pendingSeen == nil,
               let list: MemberList = try? await admin.call("GET", leader.adminAddress, "/v1/members", timeout: pollTimeout) {
                pendingSeen = list.pending ?? []
            }
            snapshot.pending = pendingSeen ?? []
        }
        return snapshot
    }

    /// The local cluster's cluster.json, read again only when it changed.
    private func localSpec() -> ClusterSpec? {
        guard let launcher else { return nil }
        let version = launcher.specVersion()
        if let cached = spec, cached.version == version, version != nil { return cached.spec }
        let loaded = try? launcher.load()
        spec = loaded.map { ($0, version) }
        return loaded
    }

    // MARK: - Watching

    /// Starts a watcher for `m`: it long-polls the member's status, so an idle node answers
    /// once per `watchWait` (a small 304) instead of sending its whole status every round, and
    /// a busy one once per snapshot interval (the node holds a change that long). A request
    /// is always outstanding, so a node that stops answering is down once
    /// `watchWait + watchGrace` pass in silence.
    private func watch(_ m: (id: String, admin: String)) {
        guard watchers[m.id] == nil, let interval = watchInterval else { return }
        let (admin, wait, timeout) = (admin, watchWait, watchWait + watchGrace)
        watchers[m.id] = Task { [weak self] in
            var tag: String?
            while !Task.isCancelled {
                let started = ContinuousClock.now
                do {
                    switch try await admin.status(m.admin, changedFrom: tag, wait: wait, pace: interval, timeout: timeout) {
                    case let .changed(status, newTag):
                        tag = newTag
                        await self?.watched(m, .changed(status))
                    case .unchanged:
                        await self?.watched(m, .unchanged)
                    }
                } catch {
                    tag = nil
                    if Task.isCancelled { break }
                    await self?.watched(m, .failed("\(error)"))
                }
                // The node paces answers to a tag it gave. Without one (it failed, or predates
                // tags) the next request would leave at once: pace it here instead of spinning.
                let spent = ContinuousClock.now - started
                if tag == nil, spent < interval { try? await Task.sleep(for: interval - spent) }
            }
        }
    }

    private func watched(_ m: (id: String, admin: String), _ what: Heard) {
        switch what {
        case .changed: watchAnswers.changed += 1
        case .unchanged: watchAnswers.unchanged += 1
        case .failed: watchAnswers.failed += 1
        }
        heard(m, what, at: Date())
    }

    private func startWatching(every interval: Duration) {
        streams += 1
        watchInterval = min(watchInterval ?? interval, interval)
        for m in known { watch(m) }
    }

    /// Stops the watchers once no stream needs them (or at once, on `shutdown`).
    private func stopWatching(all: Bool = false) {
        streams = all ? 0 : max(0, streams - 1)
        guard streams == 0 else { return }
        watchInterval = nil
        for w in watchers.values { w.cancel() }
        watchers = [:]
    }

    /// A snapshot every `interval` until the consumer stops. The first comes from a full poll;
    /// the rest from watchers that long-poll each member, so every snapshot shows the latest
    /// answers while an idle cluster costs few requests and no decoding.
    public nonisolated func snapshots(every interval: Duration = .milliseconds(200)) -> AsyncStream<ClusterSnapshot> {
        AsyncStream { continuation in
            let task = Task {
                continuation.yield(await self.poll())
                await self.startWatching(every: interval)
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { break }
                    continuation.yield(await self.assemble(at: Date()))
                }
                await self.stopWatching()
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// One member's answer to a status poll, or why there was none.
    struct Answer: Sendable {
        var id: String
        var status: NodeStatus?
        var error: String?
    }

    /// Asks every member for its status in parallel.
    static func fetch(_ members: [(id: String, admin: String)], admin: AdminClient, timeout: Duration) async -> [String: Answer] {
        await withTaskGroup(of: Answer.self) { group in
            for m in members {
                group.addTask {
                    do {
                        return Answer(id: m.id, status: try await admin.status(m.admin, timeout: timeout))
                    } catch {
                        return Answer(id: m.id, error: "\(error)")
                    }
                }
            }
            var out: [String: Answer] = [:]
            for await a in group { out[a.id] = a }
            return out
        }
    }

    /// Polls until `condition` holds or `timeout` passes; returns the last snapshot and whether it held.
    public func wait(for timeout: Duration, every interval: Duration = .milliseconds(100),
                     until condition: (ClusterSnapshot) -> Bool) async -> (ClusterSnapshot, Bool) {
        await Poll.latest(timeout, every: interval, read: { await poll() }, until: condition)
    }
}
