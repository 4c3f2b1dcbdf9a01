import BinaryCoding
import Logging
import NIOCore
import NIOPosix
import RaftCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The transport's moving parts, all owned by one event loop: the listener, the outbound
/// link per peer, the accepted connections, the handshake's proofs and the random source for
/// jitter and loss. Every method runs on `loop`; handlers of every channel run there too.
final class TransportCore {
    enum Lifecycle { case idle, starting, running, stopped }

    /// What the acceptor makes of a dialer's proof.
    enum DialerVerdict {
        /// The proof does not check out: close, and say nothing.
        case stranger(String)
        /// The dialer proved itself but is not admitted; the reason may be sent to it.
        case refused(String)
        /// Admitted: answer with our own proof.
        case admitted(PeerProof)
    }

    let config: TransportConfig
    let loop: any EventLoop
    let logger: Logger
    let shared: TransportShared
    let onMessage: @Sendable (Message) -> Void
    let onPeerDown: @Sendable (NodeID) -> Void
    let secret: ClusterSecret

    private(set) var lifecycle = Lifecycle.idle
    private var server: (any Channel)?
    private var links: [NodeID: PeerLink] = [:]
    /// Accepted connections, kept so shutdown can close them.
    private var inbound: [ObjectIdentifier: any Channel] = [:]
    /// The peer each established inbound connection proved itself as.
    private var inboundPeer: [ObjectIdentifier: NodeID] = [:]
    /// Accepted connections still in their handshake, each with the order it came in: past
    /// `maxPendingHandshakes` the oldest is turned away. A flood of strangers then costs a
    /// bounded number of descriptors, and cannot keep a peer out: a peer's handshake takes a
    /// round trip, a stranger's slot lasts until enough newer ones come.
    private var handshaking: [ObjectIdentifier: UInt64] = [:]
    private var accepted: UInt64 = 0
    /// Warnings about strangers and forged frames, at most one of a kind per 10 s.
    private var throttle = LogThrottle()
    /// Handshaken inbound connections per peer (a reconnecting peer may briefly have two).
    private var inboundCount: [NodeID: Int] = [:]
    private var rng: SplitMix64
    private var warnedUnroutable: Set<NodeID> = []
    /// Messages per peer waiting out the fault filter's delay.
    private var delayed: [NodeID: Int] = [:]

    init(config: TransportConfig, loop: any EventLoop, logger: Logger, shared: TransportShared,
         onMessage: @escaping @Sendable (Message) -> Void, onPeerDown: @escaping @Sendable (NodeID) -> Void) {
        self.config = config
        self.loop = loop
        self.logger = logger
        self.shared = shared
        self.onMessage = onMessage
        self.onPeerDown = onPeerDown
        self.secret = ClusterSecret(token: config.clusterSecret)
        var system = SystemRandomNumberGenerator()
        self.rng = SplitMix64(seed: config.randomSeed ?? system.next())
    }

    func makeFrameReader() -> FrameReader {
        FrameReader(handshakeFrameLimit: config.preHandshakeFrameLimit, stallLimit: config.partialFrameTimeout)
    }

    // MARK: - Lifecycle

    func start() -> EventLoopFuture<Void> {
        switch lifecycle {
        case .starting, .running: return loop.makeFailedFuture(TransportError.alreadyStarted)
        case .stopped: return loop.makeFailedFuture(TransportError.shutDown)
        case .idle: break
        }
        lifecycle = .starting
        let bound = NIOLoopBound(self, eventLoop: loop)
        let host = config.listenHost
        let port = config.listenPort
        let promise = loop.makePromise(of: Void.self)
        ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let core = bound.value
                    let reader = core.makeFrameReader()
                    try channel.pipeline.syncOperations.addHandlers(reader, AcceptorHandler(core: core, reader: reader))
                }
            }
            .bind(host: host, port: port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.didBind(channel)
                    promise.succeed()
                case .failure(let error):
                    if self.lifecycle == .starting { self.lifecycle = .idle }
                    let mapped = Self.bindError(error, host: host, port: port)
                    self.logger.error("\(mapped)")
                    promise.fail(mapped)
                }
            }
        return promise.futureResult
    }

    private func didBind(_ channel: any Channel) {
        guard lifecycle == .starting else {
            // Shut down while binding.
            channel.close(promise: nil)
            return
        }
        lifecycle = .running
        server = channel
        let port = channel.localAddress?.port ?? config.listenPort
        shared.withState { $0.boundPort = port }
        logger.info("listening for peers on \(config.listenHost):\(port)",
                    metadata: ["cluster": "\(config.clusterID)", "protocol": "\(config.protocolVersion)"])
        if !secret.authenticates {
            logger.warning("peers are not authenticated: this node has no cluster secret (--token-file), so anyone who can reach \(config.listenHost):\(port) and knows the cluster id can act as a member")
        }
        for link in links.values.sorted(by: { $0.peer < $1.peer }) { dial(link) }
    }

    private static func bindError(_ error: any Error, host: String, port: Int) -> TransportError {
        if let io = error as? IOError, io.errnoCode == EADDRINUSE { return .addressInUse(host: host, port: port) }
        return .bindFailed(host: host, port: port, reason: describe(error))
    }

    func shutdown() -> EventLoopFuture<Void> {
        guard lifecycle != .stopped else { return loop.makeSucceededVoidFuture() }
        lifecycle = .stopped
        var closing: [EventLoopFuture<Void>] = []
        let all = Array(links.values)
        links = [:]
        for link in all {
            if case .waiting(let task) = link.state { task.cancel() }
            if let channel = link.channel { closing.append(channel.close()) }
            link.state = .idle
            link.queue.removeAll()
        }
        for channel in Array(inbound.values) { closing.append(channel.close()) }
        if let server { closing.append(server.close()) }
        server = nil
        shared.withState { s in
            for id in s.stats.keys {
                s.stats[id]!.connected = false
                s.stats[id]!.inboundConnected = false
                s.stats[id]!.queued = 0
            }
        }
        logger.info("peer transport shut down")
        return EventLoopFuture.andAllComplete(closing, on: loop)
    }

    // MARK: - Peers

    func setPeers(_ peers: [NodeID: String]) {
        guard lifecycle != .stopped else { return }
        var wanted = peers
        wanted[config.nodeID] = nil  // a node never dials itself
        for (id, link) in links where wanted[id] == nil {
            remove(link)
        }
        for (id, text) in wanted.sorted(by: { $0.key < $1.key }) {
            if let link = links[id] {
                guard link.addressText != text else { continue }
                logger.info("peer \(id) moved from \(link.addressText) to \(text)")
                link.addressText = text
                link.address = PeerAddress(text)
                abandonConnection(of: link)
                link.failures = 0
                checkAddress(link)
                dial(link)
            } else {
                let link = PeerLink(peer: id, addressText: text, queueCapacity: config.sendQueueLimit)
                links[id] = link
                warnedUnroutable.remove(id)
                shared.updateStats(id) { _ in }
                checkAddress(link)
                dial(link)
            }
        }
        let inboundPeers = Set(inboundCount.keys)
        shared.withState { s in
            s.stats = s.stats.filter { wanted[$0.key] != nil || inboundPeers.contains($0.key) }
        }
    }

    private func checkAddress(_ link: PeerLink) {
        guard link.address == nil else { return }
        let reason = "address '\(link.addressText)' is not host:port"
        logger.warning("cannot dial peer \(link.peer): \(reason)")
        shared.updateStats(link.peer) { $0.lastError = reason }
    }

    private func remove(_ link: PeerLink) {
        links[link.peer] = nil
        abandonConnection(of: link)
        link.queue.removeAll()
        logger.info("peer \(link.peer) removed; closing our connection to it")
    }

    /// Cancels a pending redial and closes the link's channel without treating it as a failure.
    private func abandonConnection(of link: PeerLink) {
        let channel = link.channel
        if case .waiting(let task) = link.state { task.cancel() }
        link.state = .idle
        link.attempt &+= 1  // events from the old channel are now stale
        shared.updateStats(link.peer) { $0.connected = false }
        channel?.close(promise: nil)
    }

    private func isCurrent(_ link: PeerLink, _ attempt: UInt64) -> Bool {
        lifecycle == .running && links[link.peer] === link && link.attempt == attempt
    }

    // MARK: - Dialling

    private func dial(_ link: PeerLink) {
        guard lifecycle == .running, let address = link.address else { return }
        link.attempt &+= 1
        let attempt = link.attempt
        link.state = .connecting(nil)
        let bound = NIOLoopBound(self, eventLoop: loop)
        let boundLink = NIOLoopBound(link, eventLoop: loop)
        ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(config.connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let core = bound.value
                    let link = boundLink.value
                    guard core.isCurrent(link, attempt) else { throw ChannelError.ioOnClosedChannel }
                    link.state = .connecting(channel)
                    try channel.pipeline.syncOperations.addHandlers(
                        core.makeFrameReader(), DialerHandler(core: core, link: link, attempt: attempt))
                }
            }
            .connect(host: address.host, port: address.port)
            .assumeIsolated()
            .whenFailure { error in
                self.dialFailed(link, attempt: attempt, reason: "connect to \(address) failed: \(Self.describe(error))")
            }
    }

    private func dialFailed(_ link: PeerLink, attempt: UInt64, reason: String) {
        guard isCurrent(link, attempt), link.isConnecting else { return }
        link.failures += 1
        logger.debug("cannot reach peer \(link.peer): \(reason)", metadata: ["failures": "\(link.failures)"])
        shared.updateStats(link.peer) { $0.lastError = reason }
        scheduleRedial(link)
    }

    private func scheduleRedial(_ link: PeerLink) {
        let attempt = link.attempt
        let delay = config.reconnectBackoff.delay(afterFailures: max(link.failures, 1), using: &rng)
        let task = loop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
            guard self.isCurrent(link, attempt), case .waiting = link.state else { return }
            self.dial(link)
        }
        link.state = .waiting(task)
    }

    /// Our proof for a dial to `peer`, and the transcript the peer's answer must prove.
    func proveDialer(to peer: NodeID, dialerNonce: [UInt8], acceptorNonce: [UInt8]) -> (HandshakeTranscript, PeerProof) {
        let transcript = HandshakeTranscript(
            protocolVersion: config.protocolVersion, clusterID: config.clusterID, dialer: config.nodeID, acceptor: peer,
            dialerIncarnation: config.incarnation, acceptorIncarnation: 0, dialerNonce: dialerNonce, acceptorNonce: acceptorNonce)
        let proof = PeerProof(nodeID: config.nodeID, incarnation: config.incarnation, mac: secret.prove(transcript, as: .dialer))
        return (transcript, proof)
    }

    /// The dialled peer accepted our handshake with `proof`: checked against `transcript` and
    /// `admit`. False when the connection must be dropped.
    func outboundEstablished(_ link: PeerLink, attempt: UInt64, channel: any Channel, proof: PeerProof, transcript: HandshakeTranscript) -> Bool {
        guard isCurrent(link, attempt) else { return false }
        var transcript = transcript
        transcript.acceptorIncarnation = proof.incarnation
        let problem: String? =
            if proof.nodeID != link.peer {
                "\(link.address.map(String.init(describing:)) ?? link.addressText) answered as node \(proof.nodeID), expected \(link.peer)"
            } else if !secret.verify(proof.mac, of: transcript, as: .acceptor) {
                "\(link.addressText) did not prove it holds our cluster secret (its handshake proof does not check out)"
            } else if let reason = config.admit(link.peer, proof.incarnation) {
                "not admitted at incarnation \(proof.incarnation): \(reason)"
            } else {
                nil
            }
        if let problem {
            shared.withState { s in
                s.refusedHandshakes += 1
                s.stats[link.peer]?.refused += 1
                s.stats[link.peer]?.lastError = problem
            }
            if let held = throttle.allow("dial \(link.peer)") {
                logger.warning("dropping connection to peer \(link.peer): \(problem)\(Self.heldBack(held))")
            }
            return false
        }
        link.state = .connected(channel)
        link.failures = 0
        link.lastRefusal = nil
        let reconnected = link.everConnected
        link.everConnected = true
        shared.updateStats(link.peer) {
            $0.connected = true
            if reconnected { $0.reconnects += 1 }
        }
        logger.info("connected to peer \(link.peer) at \(link.addressText) (incarnation \(proof.incarnation))")
        if let state = config.localState() {
            let payload = WireFrame.state(state).encode()
            var buffer = channel.allocator.buffer(capacity: payload.count + 4)
            FrameAssembler.writeFrame(payload, into: &buffer)
            channel.writeAndFlush(buffer, promise: nil)
        }
        drain(link)
        return true
    }

    /// The peer refused our handshake. Logged at warning when the reason is new, so a
    /// misconfigured peer does not flood the log at every redial.
    func outboundRefused(_ link: PeerLink, attempt: UInt64, reason: String) {
        guard isCurrent(link, attempt) else { return }
        config.refusedBy(link.peer, reason)
        shared.withState { s in
            s.refusedHandshakes += 1
            s.stats[link.peer]?.refused += 1
        }
        if link.lastRefusal == reason {
            logger.debug("peer \(link.peer) at \(link.addressText) refused our connection again: \(reason)")
        } else {
            link.lastRefusal = reason
            logger.warning("peer \(link.peer) at \(link.addressText) refused our connection: \(reason)")
        }
    }

    /// Our connection to a peer closed; `reason` says why when we know.
    func outboundClosed(_ link: PeerLink, attempt: UInt64, reason: String?) {
        guard isCurrent(link, attempt) else { return }
        let wasConnected = link.isConnected
        guard wasConnected || link.isConnecting else { return }
        link.failures += 1
        if let reason { shared.updateStats(link.peer) { $0.lastError = reason } }
        if wasConnected {
            shared.updateStats(link.peer) { $0.connected = false }
            logger.info("connection to peer \(link.peer) lost\(reason.map { ": \($0)" } ?? "")")
        } else {
            logger.debug("handshake with peer \(link.peer) failed: \(reason ?? "connection closed")")
        }
        scheduleRedial(link)
        if wasConnected { onPeerDown(link.peer) }
    }

    /// Writes queued messages while the channel accepts more; the rest wait for writability.
    func drain(_ link: PeerLink) {
        guard case .connected(let channel) = link.state else { return }
        var sent = 0
        var tooLarge = 0
        while channel.isWritable, links[link.peer] === link, case .connected(let current) = link.state,
              current === channel, let message = link.queue.popFirst() {
            let payload = WireFrame.message(message).encode()
            guard payload.count <= config.maxFrameSize else {
                tooLarge += 1
                logger.error("dropping a \(message.body.name) message of \(payload.count) bytes to \(link.peer): over the frame limit of \(config.maxFrameSize)")
                continue
            }
            var buffer = channel.allocator.buffer(capacity: payload.count + 4)
            FrameAssembler.writeFrame(payload, into: &buffer)
            channel.write(buffer, promise: nil)
            sent += 1
        }
        if sent > 0 { channel.flush() }
        if link.queue.isEmpty { link.overflowing = false }
        let queued = link.queue.count
        shared.updateStats(link.peer) {
            $0.framesSent += sent
            $0.queued = queued
            if tooLarge > 0 {
                $0.dropped += tooLarge
                $0.lastError = "message over the frame limit of \(self.config.maxFrameSize) bytes dropped"
            }
        }
    }

    // MARK: - Sending

    func send(_ messages: [Message]) {
        guard lifecycle != .stopped else { return }
        let rules = shared.faults
        var now: [NodeID: [Message]] = [:]
        // Messages held back, per peer and hold in ms, in the order they were sent.
        var held: [NodeID: [Int: [Message]]] = [:]
        var filtered: [NodeID: Int] = [:]
        for m in messages {
            let fault = rules.outbound(to: m.to)
            if rules.dropsOutbound(to: m.to) || rng.chance(fault.loss) {
                filtered[m.to, default: 0] += 1
                continue
            }
            for _ in 0..<(rng.chance(fault.duplicate) ? 2 : 1) {
                let ms = fault.holdMs(using: &rng)
                if ms > 0 {
                    held[m.to, default: [:]][ms, default: []].append(m)
                } else {
                    now[m.to, default: []].append(m)
                }
            }
        }
        if !filtered.isEmpty {
            shared.withState { s in
                for (peer, n) in filtered where s.stats[peer] != nil { s.stats[peer]!.filtered += n }
            }
        }
        for (peer, batch) in now { enqueue(batch, to: peer) }
        for (peer, byHold) in held {
            for (ms, batch) in byHold.sorted(by: { $0.key < $1.key }) { delay(batch, to: peer, by: ms) }
        }
    }

    /// Holds `batch` back before queueing it. Messages in flight through the delay count
    /// against the send queue limit too; the excess is dropped and counted.
    private func delay(_ batch: [Message], to peer: NodeID, by ms: Int) {
        let inFlight = delayed[peer, default: 0]
        let room = max(0, config.sendQueueLimit - inFlight)
        let held = Array(batch.prefix(room))
        if held.count < batch.count {
            let excess = batch.count - held.count
            shared.withState { s in s.stats[peer]?.dropped += excess }
        }
        guard !held.isEmpty else { return }
        delayed[peer] = inFlight + held.count
        loop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(ms))) {
            let left = self.delayed[peer, default: 0] - held.count
            self.delayed[peer] = left > 0 ? left : nil
            self.enqueue(held, to: peer)
        }
    }

    private func enqueue(_ batch: [Message], to peer: NodeID) {
        guard lifecycle != .stopped else { return }
        guard let link = links[peer] else {
            if warnedUnroutable.insert(peer).inserted {
                if peer == config.nodeID {
                    logger.warning("dropping messages addressed to this node itself (\(peer)): Raft delivers those locally")
                } else {
                    logger.warning("dropping messages to \(peer): it is not in the peer list, so its address is unknown")
                }
            }
            return
        }
        var dropped = 0
        for m in batch {
            if link.queue.count >= config.sendQueueLimit {
                link.queue.removeFirst()
                dropped += 1
            }
            link.queue.append(m)
        }
        if dropped > 0 {
            if !link.overflowing {
                link.overflowing = true
                logger.warning("send queue to peer \(peer) is full (\(config.sendQueueLimit) messages): dropping the oldest")
            }
            shared.updateStats(peer) { $0.dropped += dropped }
        }
        if link.isConnected {
            drain(link)
        } else {
            let queued = link.queue.count
            shared.updateStats(peer) { $0.queued = queued }
        }
    }

    // MARK: - Accepting

    func inboundOpened(_ channel: any Channel) {
        guard lifecycle != .stopped else {
            channel.close(promise: nil)
            return
        }
        let id = ObjectIdentifier(channel)
        inbound[id] = channel
        accepted += 1
        handshaking[id] = accepted
        guard handshaking.count > config.maxPendingHandshakes,
              let oldest = handshaking.min(by: { $0.value < $1.value })?.key else { return }
        handshaking[oldest] = nil
        guard let stranger = inbound[oldest] else { return }
        refusedInbound(from: Self.describe(stranger.remoteAddress), claimed: nil,
                       reason: "more than \(config.maxPendingHandshakes) connections in their handshake: the oldest is closed", kind: "crowded")
        stranger.close(promise: nil)
    }

    /// Why a hello is refused before any challenge, or nil to challenge it. What it says is
    /// sent to a stranger, so it names nothing but protocol versions.
    func refusal(of hello: PeerHello) -> String? {
        if lifecycle != .running { return "the node is shutting down" }
        if hello.protocolVersion != config.protocolVersion {
            return "protocol version mismatch (ours \(config.protocolVersion), theirs \(hello.protocolVersion))"
        }
        return nil
    }

    /// Checks a dialer's proof against our nonce, then asks `admit`.
    func checkDialer(_ proof: PeerProof, dialerNonce: [UInt8], acceptorNonce: [UInt8]) -> DialerVerdict {
        let transcript = HandshakeTranscript(
            protocolVersion: config.protocolVersion, clusterID: config.clusterID, dialer: proof.nodeID, acceptor: config.nodeID,
            dialerIncarnation: proof.incarnation, acceptorIncarnation: config.incarnation,
            dialerNonce: dialerNonce, acceptorNonce: acceptorNonce)
        guard secret.verify(proof.mac, of: transcript, as: .dialer) else {
            return .stranger("its handshake proof does not check out (a different cluster secret or cluster id, or not a peer)")
        }
        if lifecycle != .running { return .refused("the node is shutting down") }
        if proof.nodeID.isEmpty { return .refused("empty node id") }
        if proof.nodeID == config.nodeID { return .refused("the peer claims our own node id \(config.nodeID)") }
        if let reason = config.admit(proof.nodeID, proof.incarnation) {
            return .refused("not admitted at incarnation \(proof.incarnation): \(reason)")
        }
        return .admitted(PeerProof(nodeID: config.nodeID, incarnation: config.incarnation, mac: secret.prove(transcript, as: .acceptor)))
    }

    /// An inbound connection turned away before it was established: counted (against the
    /// claimed peer too when it is one we list) and logged at most once per 10 s per kind.
    func refusedInbound(from address: String, claimed: NodeID?, reason: String, kind: String) {
        let listed = claimed.flatMap { links[$0] != nil ? $0 : nil }
        shared.withState { s in
            s.refusedHandshakes += 1
            if let listed { s.stats[listed]?.refused += 1 }
        }
        guard let held = throttle.allow("inbound \(kind)") else { return }
        let who = claimed.map { "\(address) claiming to be \($0)" } ?? address
        logger.warning("refused peer connection from \(who): \(reason)\(Self.heldBack(held))")
    }

    static func heldBack(_ count: Int) -> String {
        count == 0 ? "" : " (and \(count) like it in the last 10 s, not logged)"
    }

    func inboundEstablished(_ channel: any Channel, peer: NodeID, incarnation: UInt64) {
        handshaking[ObjectIdentifier(channel)] = nil
        inboundPeer[ObjectIdentifier(channel)] = peer
        inboundCount[peer, default: 0] += 1
        shared.updateStats(peer) { $0.inboundConnected = true }
        logger.info("accepted peer connection from \(peer) (incarnation \(incarnation)) at \(Self.describe(channel.remoteAddress))")
    }

    /// Closes every connection to and from `peer`; our link redials at once, and the new
    /// handshakes ask `admit` again.
    func disconnect(_ peer: NodeID) {
        guard lifecycle == .running else { return }
        if let link = links[peer] {
            let wasConnected = link.isConnected
            abandonConnection(of: link)
            link.failures = 0
            logger.info("dropping our connection to peer \(peer) on request")
            dial(link)
            if wasConnected { onPeerDown(peer) }
        }
        for (id, who) in inboundPeer where who == peer {
            logger.info("dropping peer \(peer)'s connection to us on request")
            inbound[id]?.close(promise: nil)
        }
    }

    func inboundClosed(_ channel: any Channel, peer: NodeID?) {
        inbound[ObjectIdentifier(channel)] = nil
        inboundPeer[ObjectIdentifier(channel)] = nil
        handshaking[ObjectIdentifier(channel)] = nil
        guard let peer else { return }
        let remaining = (inboundCount[peer] ?? 1) - 1
        inboundCount[peer] = remaining > 0 ? remaining : nil
        if remaining == 0 {
            let keepStats = links[peer] != nil || lifecycle == .stopped
            shared.withState { s in
                if keepStats { s.stats[peer]?.inboundConnected = false } else { s.stats[peer] = nil }
            }
        }
        // Only when nothing from the peer remains open: a reconnected peer is not down.
        guard lifecycle == .running, remaining == 0 else { return }
        logger.info("peer \(peer) closed its connection to us")
        onPeerDown(peer)
    }

    /// A message read from `peer`'s connection: checked, filtered, then handed to Raft.
    /// False when it names another sender or recipient: it is dropped and counted, and the
    /// connection must be closed.
    func deliver(_ message: Message, from peer: NodeID) -> Bool {
        guard lifecycle == .running else { return true }
        shared.updateStats(peer) { $0.framesReceived += 1 }
        guard message.from == peer, message.to == config.nodeID else {
            shared.updateStats(peer) { $0.forged += 1 }
            if let held = throttle.allow("forged \(peer)") {
                logger.warning("closing peer \(peer)'s connection: a \(message.body.name) from \(message.from) to \(message.to) arrived on it\(Self.heldBack(held))")
            }
            return false
        }
        if shared.faults.dropsInbound(from: peer) {
            shared.updateStats(peer) { $0.filtered += 1 }
            return true
        }
        onMessage(message)
        return true
    }

    // MARK: - Descriptions

    static func describe(_ error: any Error) -> String {
        if let e = error as? NIOConnectionError, let first = e.connectionErrors.first {
            return describe(first.error)
        }
        if let e = error as? IOError {
            return e.description
        }
        return String(describing: error)
    }

    static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "an unknown address" }
        if let ip = address.ipAddress, let port = address.port { return "\(ip):\(port)" }
        return address.description
    }
}
