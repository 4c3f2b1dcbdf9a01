/// How one node's peer transport listens, identifies and proves itself, and paces reconnects.
public struct TransportConfig: Sendable {
    /// The protocol this build speaks: 2 added the challenge-response handshake and incarnations.
    public static let currentProtocolVersion: UInt16 = 2

    /// Bound into every handshake proof, so nodes of another cluster fail it. A name, not a credential.
    public var clusterID: String
    /// This node's id, proved in the handshake and expected in the `to` of every inbound message.
    public var nodeID: String
    /// This node's incarnation, proved in the handshake and shown to the peer's `admit`.
    public var incarnation: UInt64
    /// The key of the handshake proofs (the cluster's admin token). Nil: peers are not
    /// authenticated, and only the cluster id and protocol version keep strangers out.
    public var clusterSecret: String?
    /// Consulted once per handshake, after the peer's proof checked out, with the peer's node id
    /// and incarnation: nil admits it, a reason refuses it. Called on the transport's event loop.
    public var admit: @Sendable (_ peer: String, _ incarnation: UInt64) -> String?
    /// What this node says of itself to a peer, sent first on each connection it dials (nil: nothing).
    public var localState: @Sendable () -> [UInt8]? = { nil }
    /// A peer's `localState`, as it arrived on its connection to us.
    public var peerState: @Sendable (_ peer: String, _ state: [UInt8]) -> Void = { _, _ in }
    /// A peer that checked our proof refused us, and said why (its `admit`'s reason).
    public var refusedBy: @Sendable (_ peer: String, _ reason: String) -> Void = { _, _ in }
    public var listenHost: String
    /// 0 binds an ephemeral port (tests); read it back from `PeerTransport.boundPort`.
    public var listenPort: Int
    /// The largest frame accepted or sent once a connection is authenticated; a larger length
    /// prefix closes the connection. Before that, only `handshakeFrameLimit` bytes are accepted.
    public var maxFrameSize: Int
    /// The largest frame accepted before the handshake completes: enough for any handshake,
    /// too little for a stranger to make the node buffer anything that matters.
    public var handshakeFrameLimit: Int
    /// A connection holding a partial frame that receives no byte for this long is closed.
    public var partialFrameTimeout: Duration
    /// Messages queued per peer; when full the oldest is dropped and counted.
    public var sendQueueLimit: Int
    public var reconnectBackoff: ReconnectBackoff
    public var protocolVersion: UInt16
    /// How long either side waits for the other's handshake before closing.
    public var handshakeTimeout: Duration
    /// Accepted connections that may be in their handshake at once; one more closes the oldest.
    public var maxPendingHandshakes: Int
    public var connectTimeout: Duration
    /// Seeds reconnect jitter and random loss; nil draws the seed from the system generator.
    public var randomSeed: UInt64?

    public init(
        clusterID: String,
        nodeID: String,
        incarnation: UInt64 = 0,
        clusterSecret: String? = nil,
        admit: @escaping @Sendable (_ peer: String, _ incarnation: UInt64) -> String? = { _, _ in nil },
        listenHost: String = "127.0.0.1",
        listenPort: Int,
        maxFrameSize: Int = 16 << 20,
        handshakeFrameLimit: Int = 4096,
        partialFrameTimeout: Duration = .seconds(10),
        sendQueueLimit: Int = 4096,
        reconnectBackoff: ReconnectBackoff = ReconnectBackoff(),
        protocolVersion: UInt16 = TransportConfig.currentProtocolVersion,
        handshakeTimeout: Duration = .seconds(5),
        maxPendingHandshakes: Int = 64,
        connectTimeout: Duration = .seconds(2),
        randomSeed: UInt64? = nil
    ) {
        precondition(maxFrameSize > 0 && maxFrameSize <= Int(UInt32.max), "maxFrameSize must fit a 32-bit length")
        precondition(handshakeFrameLimit > 0, "handshakeFrameLimit must be positive")
        precondition(sendQueueLimit > 0, "sendQueueLimit must be positive")
        precondition(maxPendingHandshakes > 0, "maxPendingHandshakes must be positive")
        self.clusterID = clusterID
        self.nodeID = nodeID
        self.incarnation = incarnation
        self.clusterSecret = clusterSecret
        self.admit = admit
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.maxFrameSize = maxFrameSize
        self.handshakeFrameLimit = handshakeFrameLimit
        self.partialFrameTimeout = partialFrameTimeout
        self.sendQueueLimit = sendQueueLimit
        self.reconnectBackoff = reconnectBackoff
        self.protocolVersion = protocolVersion
        self.maxPendingHandshakes = maxPendingHandshakes
        self.handshakeTimeout = handshakeTimeout
        self.connectTimeout = connectTimeout
        self.randomSeed = randomSeed
    }

    /// The frame limit before authentication: never above `maxFrameSize`.
    var preHandshakeFrameLimit: Int { min(handshakeFrameLimit, maxFrameSize) }
}
