import FlotillaAPI
import Foundation

/// `{"type":"status"}`: what every node reported, cut to what the console shows. Written only
/// when something other than uptime changed.
public struct StatusLine: Sendable, Codable, Equatable {
    public struct Node: Sendable, Codable, Equatable {
        public var id: String
        public var admin: String
        public var up: Bool
        /// running, paused or stopped, for local nodes.
        public var process: String?
        public var role: NodeRole?
        public var term: UInt64?
        public var leader: String?
        public var commit: UInt64?
        public var applied: UInt64?
        public var lastIndex: UInt64?
        public var voter: Bool?
        /// Peers this node drops traffic of, and which way.
        public var drop: [String]?
        public var direction: FaultDirection?
        /// As the leader sees it: healthy, catching-up, unreachable; and probe, replicate, snapshot.
        public var peerStatus: String?
        public var progress: String?
        public var snapshotPercent: Int?
        /// Tasks queued / running / succeeded / failed (transcripts before failed was counted have three).
        public var tasks: [Int]?
        public var uptimeMs: UInt64?
        /// Seconds since it last answered, when it does not.
        public var staleS: Double?
    }

    public var t: Double
    public var leader: String?
    public var term: UInt64?
    public var commit: UInt64?
    public var nodes: [Node]

    /// The compact form of a snapshot taken `t` seconds into the session.
    public init(_ s: ClusterSnapshot, t: Double) {
        self.t = t
        let leader = s.leader
        self.leader = leader?.id
        term = leader?.term
        commit = leader?.commit
        let members = Dictionary(s.members.map { ($0.id, $0.voter) }, uniquingKeysWith: { a, _ in a })
        nodes = s.nodes.map { o in
            var n = Node(id: o.id, admin: o.adminAddress, up: o.up, process: o.process?.rawValue)
            if let st = o.status {
                n.role = st.role
                n.term = st.term
                n.leader = st.leader
                n.commit = st.commit
                n.applied = st.applied
                n.lastIndex = st.lastIndex
                n.uptimeMs = st.uptimeMs
                if !st.faults.drop.isEmpty { n.drop = st.faults.drop; n.direction = st.faults.direction }
                let running = st.tasks.byState[.running, default: 0] + st.tasks.byState[.assigned, default: 0]
                n.tasks = [st.tasks.queued, running, st.tasks.byState[.succeeded, default: 0], st.tasks.byState[.failed, default: 0]]
            }
            n.voter = members[o.id]
            if let p = leader?.peers.first(where: { $0.id == o.id }) {
                n.peerStatus = p.status
                n.progress = p.progress
                if let sent = p.snapshotSent, let total = p.snapshotTotal, total > 0 { n.snapshotPercent = sent * 100 / total }
            }
            if !o.up { n.staleS = o.staleness(at: s.takenAt).map { ($0 * 10).rounded() / 10 } }
            return n
        }
    }

    /// Whether `other` says the same, uptime and staleness aside.
    public func sameAs(_ other: StatusLine) -> Bool {
        func strip(_ l: StatusLine) -> [Node] { l.nodes.map { var n = $0; n.uptimeMs = nil; n.staleS = nil; return n } }
        return leader == other.leader && term == other.term && commit == other.commit && strip(self) == strip(other)
    }

    /// A snapshot the console can draw, rebuilt from the compact form (for playback).
    public func snapshot(startedAt: Date, seq: UInt64) -> ClusterSnapshot {
        let at = startedAt.addingTimeInterval(t)
        let members = nodes.compactMap { n in
            n.voter.map { MemberInfo(id: n.id, raftAddress: "", adminAddress: n.admin, voter: $0) }
        }
        let peers: [PeerInfo] = nodes.compactMap { n in
            guard n.id != leader, let status = n.peerStatus else { return nil }
            let total = n.snapshotPercent.map { _ in 100 }
            return PeerInfo(id: n.id, match: n.applied ?? 0, next: (n.applied ?? 0) + 1, progress: n.progress ?? "probe", status: status,
                            lastContactMs: 0, snapshotSent: n.snapshotPercent, snapshotTotal: total)
        }
        let observations = nodes.map { n -> NodeObservation in
            var status: NodeStatus?
            if let role = n.role {
                let tasks = (n.tasks ?? []) + Array(repeating: 0, count: max(0, 4 - (n.tasks?.count ?? 0)))
                status = NodeStatus(id: n.id, clusterID: "", role: role, term: n.term ?? 0, leader: n.leader, vote: nil,
                                    commit: n.commit ?? 0, applied: n.applied ?? 0, lastIndex: n.lastIndex ?? 0, snapshotIndex: 0,
                                    commitHash: "", members: members, peers: n.id == leader ? peers : [],
                                    tasks: TaskCounts(byState: [.running: tasks[1], .succeeded: tasks[2], .failed: tasks.count > 3 ? tasks[3] : 0],
                                                      queued: tasks[0]),
                                    faults: FaultSpec(drop: n.drop ?? [], direction: n.direction ?? .both),
                                    raftAddress: "", adminAddress: n.admin, uptimeMs: n.uptimeMs ?? 0)
            }
            return NodeObservation(id: n.id, adminAddress: n.admin, status: status, up: n.up,
                                   lastSeen: n.up ? at : n.staleS.map { at.addingTimeInterval(-$0) },
                                   process: n.process.flatMap(ProcessState.init(rawValue:)))
        }
        return ClusterSnapshot(seq: seq, takenAt: at, nodes: observations)
    }
}
