/// Every door of the admin API has a limit, so no client (idle, slow, or not reading) can take
/// the node's descriptors, memory or time: see the README's "Limits" section.
public struct AdminLimits: Sendable, Equatable {
    /// Admin connections served at once; further ones wait in the listen backlog until one closes.
    public var maxConnections = 512
    /// A connection that has not sent a complete request head this long after it opened is closed.
    public var headerTimeoutMs = 5_000
    /// A connection with no request in progress for this long is closed.
    public var idleTimeoutMs = 60_000
    /// A connection whose answer has not been taken by the client for this long is closed
    /// (the socket stayed full: the client does not read).
    public var writeStallMs = 10_000
    /// Events an event stream may fall behind before it is ended with a final `dropped` event.
    public var eventLag = 500

    public init() {}

    /// Why these limits cannot work, or nil.
    public var problem: String? {
        if maxConnections < 1 { return "--max-admin-connections must be at least 1" }
        if headerTimeoutMs < 1 { return "--header-timeout-ms must be at least 1" }
        if idleTimeoutMs < 1 { return "--idle-timeout-ms must be at least 1" }
        if writeStallMs < 1 { return "--write-stall-ms must be at least 1" }
        if eventLag < 1 { return "--event-lag must be at least 1" }
        return nil
    }
}
