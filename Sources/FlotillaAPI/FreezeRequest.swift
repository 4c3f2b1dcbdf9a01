/// `POST /v1/faults/freeze`: stop the node's Raft loop and its admin answers for `ms`
/// milliseconds, as a SIGSTOP would, for a node the operator cannot signal (`--connect`, another
/// host, a pod). Bounded, so a node cannot be frozen for good by one request.
public struct FreezeRequest: Codable, Sendable, Equatable {
    public var ms: Int

    /// The longest freeze a node takes.
    public static let maxMs = 60_000

    public init(ms: Int) { self.ms = ms }

    /// Why the request cannot be carried out, or nil.
    public var problem: String? {
        (1...Self.maxMs).contains(ms) ? nil : "ms must be between 1 and \(Self.maxMs), got \(ms)"
    }
}
