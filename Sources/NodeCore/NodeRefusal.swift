import RaftCore

/// Why the core refused or lost an operation, in terms a client can act on.
public enum NodeRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// This node does not lead; `leader` is the one it knows of, if any.
    case notLeader(leader: NodeID?)
    /// The disk refuses writes; nothing new is accepted until it takes them again.
    case storage(String)
    /// Another entry won the proposal's index (a leader change); a retry with the same
    /// idempotency key is safe.
    case lost
    /// Raft refused the operation (a membership change pending, an unknown node, …).
    case raft(RaftError)
    /// The request makes no sense here (nothing to transfer to, a node already founded).
    case invalid(String)
    /// The table holds `limit` unfinished tasks: a new submit waits until workers catch up.
    case full(limit: Int)

    public var description: String {
        switch self {
        case .notLeader(let leader): leader.map { "not the leader; the leader is \($0)" } ?? "not the leader; no leader is known"
        case .storage(let why): "storage is failing: \(why)"
        case .lost: "the proposal was lost in a leader change; retry (submits with the same key are idempotent)"
        case .raft(let e): e.description
        case .invalid(let why): why
        case .full(let limit):
            "the queue holds \(limit) unfinished tasks, its limit (--max-unfinished); retry once workers catch up "
                + "(a retry with the same key is safe)"
        }
    }

    init(_ error: RaftError) {
        if case .notLeader(let leader) = error { self = .notLeader(leader: leader) } else { self = .raft(error) }
    }
}
