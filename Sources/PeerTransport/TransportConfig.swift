/// How one node's peer transport listens, identifies itself and paces reconnects.
public struct TransportConfig: Sendable {
    /// Peers with a different cluster id are refused at the handshake.
    public var clusterID: String
    /// This node's id, sent in the handshake and expected in the `to` of every inbound message.
    public var nodeID: String
    public var listenHost: String
    /// 0 binds an ephemeral port (tests); read it back from `PeerTransport.boundPort`.
    public var listenPort: Int
    /// The largest frame accepted or sent; a larger length prefix closes the connection.
    public var maxFrameSize: Int
    /// Messages queued per peer; when full the oldest is dropped and counted.
    public var sendQueueLimit: Int
    public var reconnectBackoff: ReconnectBackoff
    public var protocolVersion: UInt16
    /// How long either side waits for the other's handshake before closing.
    public var handshakeTimeout: Duration
    public var connectTimeout: Duration
    /// Seeds reconnect jitter and random loss; nil draws the seed from the system generator.
    public var randomSeed: UInt64?

    public init(
        clusterID: String,
        nodeID: String,
        listenHost: String = "127.0.0.1",
        listenPort: Int,
        maxFrameSize: Int = 16 << 20,
        sendQueueLimit: Int = 4096,
        reconnectBackoff: ReconnectBackoff = ReconnectBackoff(),
        protocolVersion: UInt16 = 1,
        handshakeTimeout: Duration = .seconds(5),
        connectTimeout: Duration = .seconds(2),
        randomSeed: UInt64? = nil
    ) {
        precondition(maxFrameSize > 0 && maxFrameSize <= Int(UInt32.max), "maxFrameSize must fit a 32-bit length")
        precondition(sendQueueLimit > 0, "sendQueueLimit must be positive")
        self.clusterID = clusterID
        self.nodeID = nodeID
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.maxFrameSize = maxFrameSize
        self.sendQueueLimit = sendQueueLimit
        self.reconnectBackoff = reconnectBackoff
        self.protocolVersion = protocolVersion
        self.handshakeTimeout = handshakeTimeout
        self.connectTimeout = connectTimeout
        self.randomSeed = randomSeed
    }
}
