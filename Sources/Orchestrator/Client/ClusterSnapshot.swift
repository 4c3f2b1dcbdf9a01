import FlotillaAPI
import Foundation

/// What one node reported, as last seen. A node that stops answering keeps its last status,
/// is marked down, and says when it was last seen; it is never dropped.
public struct NodeObservation: Sendable, Codable, Equatable {
    public var id: String
    public var adminAddress: String
    /// The latest answer; nil if the node never answered.
    public var status: NodeStatus?
    /// Whether it answered in the round this snapshot comes from.
    public var up: Bool
    public var lastSeen: Date?
    /// Why the latest poll failed.
    public var error: String?
    /// For nodes of a local cluster: whether the process runs, is paused, or is gone.
    public var process: ProcessState?
    /// For a local node whose process is gone: why it ended, from its log.
    public var exit: NodeExit?

    public init(id: String, adminAddress: String, status: NodeStatus? = nil, up: Bool = false, lastSeen: Date? = nil,
                error: String? = nil, process: ProcessState? = nil, exit: NodeExit? = nil) {
        self.id = id
        self.adminAddress = adminAddress
        self.status = status
        self.up = up
        self.lastSeen = lastSeen
        self.error = error
        self.process = process
        self.exit = exit
    }

    /// Why the node is gone when it died of its own accord (not stopped by an operator).
    public var death: NodeExit? {
        guard process == .stopped, let exit, !exit.byOperator else { return nil }
        return exit
    }

    /// The status of a node that answered in this round.
    public var live: NodeStatus? { up ? status : nil }

    /// Seconds since this node last answered (nil: never).
    public func staleness(at now: Date) -> Double? { lastSeen.map { max(0, now.timeIntervalSince($0)) } }
}

/// Everything every node reported at one instant: the model the console draws, the
/// monitor checks and the operations decide on.
public struct ClusterSnapshot: Sendable, Codable, Equatable {
    /// Counts the polling rounds of one client.
    public var seq: UInt64
    public var takenAt: Date
    public var nodes: [NodeObservation]
    /// Joins the leader holds for an operator's approval.
    public var pending: [JoinRequest]

    public init(seq: UInt64, takenAt: Date, nodes: [NodeObservation], pending: [JoinRequest] = []) {
        self.seq = seq
        self.takenAt = takenAt
        self.nodes = nodes
        self.pending = pending
    }

    public func node(_ id: String) -> NodeObservation? { nodes.first { $0.id == id } }

    /// Statuses of the nodes that answered this round.
    public var live: [NodeStatus] { nodes.compactMap(\.live) }

    /// The answering leader with the highest term.
    public var leader: NodeStatus? {
        live.filter { $0.role == .leader }.max { $0.term < $1.term }
    }

    /// The membership as the most authoritative answering node knows it: the leader, else the node with the highest commit.
    public var members: [MemberInfo] {
        if let leader { return leader.members }
        return live.max { ($0.commit, $0.term) < ($1.commit, $1.term) }?.members ?? []
    }

    public var voters: [String] { members.filter(\.voter).map(\.id) }
    public var learners: [String] { members.filter { !$0.voter }.map(\.id) }

    /// Votes needed to elect a leader or commit.
    public var quorum: Int { voters.count / 2 + 1 }

    /// Voters that answered this round and whose process is not paused.
    public var votersUp: [String] {
        let up = Set(nodes.filter { $0.up && $0.process != .paused }.map(\.id))
        return voters.filter(up.contains)
    }

    public var hasQuorum: Bool { !voters.isEmpty && votersUp.count >= quorum }

    /// True when every answering node has no members: a cluster nobody has bootstrapped yet.
    public var uninitialized: Bool {
        !live.isEmpty && live.allSatisfy { $0.members.isEmpty && $0.term == 0 }
    }

    /// The oldest answer this snapshot relies on, in seconds (nil when no node ever answered).
    public var stalest: Double? { nodes.compactMap { $0.staleness(at: takenAt) }.max() }

    /// A one-line summary: leader, term, commit and how many nodes answer.
    public var headline: String {
        let up = nodes.filter(\.up).count
        if let l = leader {
            return "leader \(l.id) · term \(l.term) · commit \(l.commit) · \(up)/\(nodes.count) nodes up"
        }
        return "no leader · \(up)/\(nodes.count) nodes up"
    }
}
