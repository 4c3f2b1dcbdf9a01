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

    public func shutdown() async { await admin.shutdown() }

    public var memberIDs: [String] { known.map(\.id) }

    public func adminAddress(of id: String) -> String? { known.first { $0.id == id }?.admin }

    /// Stops tracking a member that was removed from the cluster.
    public func forget(_ id: String) {
        known.removeAll { $0.id == id }
        last[id] = nil
    }

    /// Starts tracking a member before the cluster reports it (a node being added).
    public func track(_ id: String, admin address: String) {
        if !known.contains(where: { $0.id == id }) { known.append((id, address)) }
    }

    /// Polls every known member once, in parallel, and learns members any of them reports.
    public func poll() async -> ClusterSnapshot {
        let members = known
        let timeout = pollTimeout
        let admin = admin
        let answers = await ClusterClient.fetch(members, admin: admin, timeout: timeout)
        let now = Date()
        let spec = try? launcher?.load()
        var nodes: [NodeObservation] = []
        for m in members {
            var o = last[m.id] ?? NodeObservation(id: m.id, adminAddress: m.admin)
            if let s = answers[m.id]?.status {
                o.status = s
                o.up = true
                o.lastSeen = now
                o.error = nil
            } else {
                o.up = false
                o.error = answers[m.id]?.error
            }
            if let launcher, let node = spec?.node(m.id) { o.process = launcher.processState(node) }
            last[m.id] = o
            nodes.append(o)
        }
        // Learn members the cluster reports that we do not track yet (a join, a scale-up by someone else).
        var snapshot = ClusterSnapshot(seq: seq, takenAt: now, nodes: nodes)
        seq += 1
        for m in snapshot.members where !known.contains(where: { $0.id == m.id }) {
            known.append((m.id, m.adminAddress))
        }
        // Joins waiting for approval change rarely: ask the leader every few rounds, and keep the answer between.
        if let leader = snapshot.leader {
            if seq % 5 == 1 || pendingSeen == nil,
               let list: MemberList = try? await admin.call("GET", leader.adminAddress, "/v1/members", timeout: timeout) {
                pendingSeen = list.pending ?? []
            }
            snapshot.pending = pendingSeen ?? []
        }
        return snapshot
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
        let deadline = ContinuousClock.now + timeout
        var s = await poll()
        while !condition(s) {
            if ContinuousClock.now >= deadline { return (s, false) }
            try? await Task.sleep(for: interval)
            s = await poll()
        }
        return (s, true)
    }

    /// A snapshot every `interval` (at least 5 a second by default) until the consumer stops.
    public nonisolated func snapshots(every interval: Duration = .milliseconds(200)) -> AsyncStream<ClusterSnapshot> {
        AsyncStream { continuation in
            let task = Task {
                while !Task.isCancelled {
                    let started = ContinuousClock.now
                    continuation.yield(await self.poll())
                    let spent = ContinuousClock.now - started
                    if spent < interval { try? await Task.sleep(for: interval - spent) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
