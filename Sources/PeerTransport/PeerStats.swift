/// What the transport knows about its traffic with one peer.
public struct PeerStats: Sendable, Equatable, Codable {
    /// Our outbound connection to the peer has completed its handshake.
    public var connected: Bool = false
    /// The peer's connection to us has completed its handshake.
    public var inboundConnected: Bool = false
    /// Message frames written to the peer.
    public var framesSent: Int = 0
    /// Message frames read from the peer, including those the fault filter then dropped.
    public var framesReceived: Int = 0
    /// Messages lost to a full send queue (the oldest goes first) or too large to frame.
    public var dropped: Int = 0
    /// Messages to or from the peer dropped by the fault filter.
    public var filtered: Int = 0
    /// Messages waiting in the send queue.
    public var queued: Int = 0
    public var lastError: String?
    /// Connections to the peer established after the first one.
    public var reconnects: Int = 0
    /// Handshakes with this peer (or with someone claiming to be it) refused: a proof that did
    /// not check out, or an incarnation `admit` turned away.
    public var refused: Int = 0
    /// Frames on this peer's authenticated connection that named another sender or recipient;
    /// each closed the connection.
    public var forged: Int = 0

    public init() {}
}
