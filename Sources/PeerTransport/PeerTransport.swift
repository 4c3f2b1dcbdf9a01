import Logging
import NIOCore
import RaftCore

/// Carries Raft messages between nodes over TCP: one outbound connection per peer for
/// sending, accepted connections for receiving, a challenge-response handshake in which both
/// ends prove they hold the cluster secret (and state their incarnations), bounded per-peer queues, reconnects with backoff, and the fault
/// filter the orchestrator uses to partition and degrade the network.
///
/// `onMessage` and `onPeerDown` are called on the transport's event loop; hop off it before
/// doing slow work.
public final class PeerTransport: Sendable {
    public let config: TransportConfig
    private let core: NIOLoopBoundBox<TransportCore>
    private let shared: TransportShared
    private let logger: Logger

    /// - Parameters:
    ///   - onMessage: an inbound Raft message that passed the inbound fault filter.
    ///   - onPeerDown: an established connection to or from that peer closed or failed.
    public init(config: TransportConfig, group: any EventLoopGroup, logger: Logger,
                onMessage: @escaping @Sendable (Message) -> Void,
                onPeerDown: @escaping @Sendable (String) -> Void) {
        let loop = group.next()
        let shared = TransportShared()
        var logger = logger
        logger[metadataKey: "node"] = "\(config.nodeID)"
        self.config = config
        self.shared = shared
        self.logger = logger
        self.core = .makeBoxSendingValue(
            TransportCore(config: config, loop: loop, logger: logger, shared: shared,
                          onMessage: onMessage, onPeerDown: onPeerDown),
            eventLoop: loop)
    }

    /// Binds the listener and starts dialling the peers set so far.
    /// Throws `TransportError.addressInUse` when the port is taken.
    public func start() async throws {
        let core = self.core
        try await core.eventLoop.flatSubmit { core.value.start() }.get()
    }

    /// The port actually bound (the configured one until `start` has bound it).
    public var boundPort: Int {
        shared.withState { $0.boundPort } ?? config.listenPort
    }

    /// Node id -> "host:port" of each peer's raft listener. New peers are dialled, moved
    /// ones redialled, and our connections to peers no longer listed are closed. Our own id
    /// is ignored.
    public func setPeers(_ peers: [String: String]) {
        let core = self.core
        core.eventLoop.execute { core.value.setPeers(peers) }
    }

    /// Queues messages for their destinations without blocking, after the outbound fault
    /// filter. Messages to a peer that is not in the peer list are dropped.
    public func send(_ messages: [Message]) {
        guard !messages.isEmpty else { return }
        let core = self.core
        core.eventLoop.execute { core.value.send(messages) }
    }

    /// Replaces the fault rules; probabilities are clamped to [0, 1], times to 0 or more.
    public func setFaults(_ rules: FaultRules) {
        let rules = rules.clamped
        let old = shared.withState { s in
            defer { s.faults = rules }
            return s.faults
        }
        if old != rules { logger.info("fault rules: \(rules)") }
    }

    public var faults: FaultRules { shared.faults }

    /// Traffic counters for every listed peer and every peer currently connected to us.
    public func stats() -> [String: PeerStats] {
        shared.withState { $0.stats }
    }

    /// Drops every established connection to and from `peer` (say, once the incarnation
    /// `admit` expects of it changed): our link redials at once, and every new handshake asks
    /// `admit` again.
    public func disconnect(peer: String) {
        let core = self.core
        core.eventLoop.execute { core.value.disconnect(peer) }
    }

    /// Handshakes refused since start, to listed peers and strangers alike (per-peer counts
    /// are `PeerStats.refused`).
    public var refusedHandshakes: Int {
        shared.withState { $0.refusedHandshakes }
    }

    /// Closes the listener and every connection and stops redialling. Call it before
    /// shutting down the event loop group.
    public func shutdown() async {
        let core = self.core
        try? await core.eventLoop.flatSubmit { core.value.shutdown() }.get()
    }
}
