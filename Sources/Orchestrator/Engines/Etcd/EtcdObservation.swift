import FlotillaAPI
import Foundation

/// One polling round of an etcd cluster, and its translation into the `ClusterSnapshot` the
/// console, the status table and the monitor read for Flotilla's own nodes.
///
/// How etcd's words map: role, term, leader, vote and commit are the Raft node's own reading
/// (`/debug/vars`, `EtcdRaftState`), a learner is a learner, and applied is the status's
/// `raftAppliedIndex`. A member that serves no Raft state falls back to its status: the role
/// from who it takes to be leader (itself: leader; another: follower; none: pre-candidate) and
/// `raftTerm`, the term of its last applied entry. Members come from etcd's member list
/// (learners are non-voters). The leader's peers are its Raft progress (match, next, state) and
/// its connections in `/metrics`: healthy when active, unreachable when not.
/// A NOSPACE alarm shows as the storage error. A member that does not answer is down, never dropped.
public struct EtcdObservation: Sendable, Equatable {
    public var views: [EtcdMemberView]
    /// The member list as the leader (else any answering member) gave it; empty when none answered.
    public var members: [EtcdMember]
    public var takenAt: Date

    public init(views: [EtcdMemberView], members: [EtcdMember], takenAt: Date) {
        self.views = views
        self.members = members
        self.takenAt = takenAt
    }

    /// The name a member goes by: its own name, else the name of the view at its peer address,
    /// else its id in hex (a member added and not started yet, that Flotilla did not plan).
    public func name(of id: EtcdMemberID) -> String {
        if let m = members.first(where: { $0.id == id }) {
            if !m.name.isEmpty { return m.name }
            if let peer = m.peerAddress, let v = views.first(where: { $0.peerAddress == peer }) { return v.name }
        }
        if let v = views.first(where: { $0.status?.memberID == id }) { return v.name }
        return id.hex
    }

    /// The membership every answering member reports, as the console's member rows.
    public var memberInfos: [MemberInfo] {
        members.map { m in
            let name = name(of: m.id)
            let view = views.first { $0.name == name }
            return MemberInfo(id: name, raftAddress: m.peerAddress ?? view?.peerAddress ?? "",
                              adminAddress: m.clientAddress ?? view?.clientAddress ?? "", voter: !m.isLearner)
        }
    }

    /// Which current members each answering member holds a peer connection to, by name:
    /// `["e1": ["e2": true, "e3": false]]`. From `/metrics`, which lags a cut by a few seconds;
    /// members whose metrics did not come are left out, as are peers it does not list.
    public var reachability: [String: [String: Bool]] {
        var out: [String: [String: Bool]] = [:]
        for v in views {
            guard let metrics = v.metrics, let own = v.status?.memberID ?? metrics.serverID else { continue }
            var links: [String: Bool] = [:]
            for m in members where m.id != own {
                if let active = metrics.activePeers[m.id] { links[name(of: m.id)] = active }
            }
            out[v.name] = links
        }
        return out
    }

    /// Each answering member's status in the shape Flotilla's nodes report. Term, role, leader,
    /// vote, commit and the leader's view of each follower come from the Raft state when it came
    /// (one consistent reading); otherwise from the maintenance status, whose term is the term of
    /// the last applied entry.
    public func nodeStatus(_ view: EtcdMemberView) -> NodeStatus? {
        guard let s = view.status else { return nil }
        let raft = view.raft
        let leads = view.leads
        let role: NodeRole = raft?.role(learner: s.isLearner)
            ?? (s.isLearner ? .learner : s.leads ? .leader : s.leader != nil ? .follower : .preCandidate)
        var peers: [PeerInfo] = []
        if leads {
            for m in members where m.id != s.memberID {
                let name = name(of: m.id)
                let theirs = views.first { $0.name == name }?.status
                let active = view.metrics?.activePeers[m.id]
                let progress = raft?.progress[m.id]
                peers.append(PeerInfo(id: name, match: progress?.match ?? theirs?.raftIndex ?? 0,
                                      next: progress?.next ?? (theirs?.raftIndex ?? 0) + 1, progress: progress?.word ?? "replicate",
                                      status: active == true ? "healthy" : active == false ? "unreachable" : "unknown", lastContactMs: 0))
            }
        }
        let leader = raft.map { $0.lead } ?? s.leader
        let commit = max(raft?.commit ?? 0, s.raftIndex)
        let uptime = view.metrics?.processStart.map { UInt64(max(0, takenAt.timeIntervalSince1970 - $0) * 1000) } ?? 0
        return NodeStatus(id: view.name, clusterID: s.clusterID, role: role, term: raft?.term ?? s.raftTerm, leader: leader.map(name(of:)),
                          vote: raft?.vote.map(name(of:)), commit: commit, applied: s.raftAppliedIndex, lastIndex: commit,
                          snapshotIndex: 0, commitHash: "", members: memberInfos, peers: peers, tasks: TaskCounts(), faults: FaultSpec(),
                          raftAddress: view.peerAddress, adminAddress: view.clientAddress, uptimeMs: uptime,
                          version: s.version.isEmpty ? "etcd" : "etcd \(s.version)", storageError: s.spaceAlarm)
    }

    /// This round as a snapshot; a member that does not answer keeps its last status from
    /// `previous`, marked down with when it was last seen.
    public func snapshot(seq: UInt64, previous: ClusterSnapshot?) -> ClusterSnapshot {
        let nodes = views.map { v -> NodeObservation in
            if let status = nodeStatus(v) {
                return NodeObservation(id: v.name, adminAddress: v.clientAddress, status: status, up: true, lastSeen: takenAt,
                                       process: v.process)
            }
            let before = previous?.node(v.name)
            return NodeObservation(id: v.name, adminAddress: v.clientAddress, status: before?.status, up: false,
                                   lastSeen: before?.lastSeen, error: v.error, process: v.process)
        }
        return ClusterSnapshot(seq: seq, takenAt: takenAt, nodes: nodes)
    }
}
