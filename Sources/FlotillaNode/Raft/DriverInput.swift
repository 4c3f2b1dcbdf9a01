import FlotillaAPI
import NodeCore
import RaftCore
import TaskQueue

/// What the driver loop reacts to, in arrival order.
enum DriverInput: Sendable {
    case tick
    case message(Message)
    case peerDown(NodeID)
    case propose(Command, Proposal)
    case confChange(ConfChange, Proposal)
    /// A linearizable read: answered once it may be served from this node's task queue.
    case read(reply: @Sendable (Result<Void, APIError>) -> Void)
    /// One of this node's workers started, finished or failed a task.
    case report(Command)
    case transfer(to: NodeID?, reply: @Sendable (Result<String, APIError>) -> Void)
    /// Raft addresses learned outside the log (a joining node asks its contact for the members),
    /// so it can answer the leader before it has replicated the membership itself.
    case peerHints([NodeID: String])
    /// Founds the cluster on an uninitialized node.
    case bootstrap(Membership, reply: @Sendable (Result<Void, APIError>) -> Void)
    /// What asking the other founders decided, for a founder that started on empty storage.
    case founders(FounderCheck.Decision)
    /// `POST /v1/faults/freeze`: hold the loop's thread until then, as a SIGSTOP would.
    case freeze(until: ContinuousClock.Instant)
    /// A snapshot's bytes, encoded off the loop, its file when it could be written there too, and
    /// how long that took.
    case snapshotEncoded(index: UInt64, data: [UInt8], prepared: PreparedSnapshot?, took: Duration)
    /// A snapshot from the leader, decoded (and its file written) off the loop, and how long that took.
    case snapshotDecoded(DecodedSnapshot, took: Duration)
}

/// A proposal waiting for its entry to apply: resolved with the effects when the entry
/// with its term applies at its index, or with an error when another entry wins the index.
final class Proposal: Sendable {
    private let resume: @Sendable (Result<[Effect], APIError>) -> Void

    init(_ resume: @escaping @Sendable (Result<[Effect], APIError>) -> Void) { self.resume = resume }

    func finish(_ result: Result<[Effect], APIError>) { resume(result) }
}
