/// Tunables of one Raft node. Times are in ticks; the runtime decides how long a tick is
/// (the node uses 10 ms, so the defaults are a 50 ms heartbeat and a 300–600 ms election timeout).
public struct RaftConfig: Sendable {
    public var id: NodeID
    /// Ticks between heartbeats.
    public var heartbeatTicks: Int = 5
    /// The base election timeout; each election waits a random time in [electionTicks, 2 × electionTicks).
    public var electionTicks: Int = 30
    public var preVote: Bool = true
    public var checkQuorum: Bool = true
    /// Appends in flight per peer in the replicate state.
    public var maxInflight: Int = 64
    /// Entries per append message.
    public var maxEntriesPerAppend: Int = 256
    /// Payload bytes per append message (at least one entry is always sent).
    public var maxBytesPerAppend: Int = 1 << 20
    /// Bytes per InstallSnapshot chunk.
    public var snapshotChunkSize: Int = 256 << 10
    /// Seed for the election-timeout randomness.
    public var randomSeed: UInt64 = 1
    /// Trap (in debug builds) when a runtime invariant breaks, besides reporting it as an event.
    public var trapOnInvariantViolation: Bool = true

    public init(id: NodeID) { self.id = id }

    /// Why this configuration cannot work, or nil.
    public var problem: String? {
        if id.isEmpty { return "the node id is empty" }
        if heartbeatTicks < 1 { return "heartbeatTicks must be at least 1" }
        if electionTicks <= heartbeatTicks { return "electionTicks must exceed heartbeatTicks" }
        if maxInflight < 1 { return "maxInflight must be at least 1" }
        if maxEntriesPerAppend < 1 { return "maxEntriesPerAppend must be at least 1" }
        if snapshotChunkSize < 1 { return "snapshotChunkSize must be at least 1" }
        return nil
    }
}
