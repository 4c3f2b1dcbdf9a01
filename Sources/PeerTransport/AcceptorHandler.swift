import Logging
import NIOCore
import RaftCore

/// The pipeline end of a connection a peer dialled to us: answers its hello with a challenge,
/// checks its proof, answers accept (with our own proof) or refuse, then hands every message
/// frame to the transport. A dialer whose proof does not check out is closed on, told nothing.
final class AcceptorHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Stage {
        case awaitingHello
        case awaitingProof(dialerNonce: [UInt8], acceptorNonce: [UInt8])
        /// The peer proved itself as this node id.
        case established(NodeID)
        /// Refused or failed: whatever else arrives is ignored.
        case closing
    }

    private let core: TransportCore
    private let reader: FrameReader
    private var stage = Stage.awaitingHello
    /// The node id the peer proved itself as; kept after a close, for `inboundClosed`.
    private var peer: NodeID?
    private var timeout: Scheduled<Void>?

    init(core: TransportCore, reader: FrameReader) {
        self.core = core
        self.reader = reader
    }

    func channelActive(context: ChannelHandlerContext) {
        core.inboundOpened(context.channel)
        let limit = core.config.handshakeTimeout
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limit)) {
            guard self.peer == nil, context.channel.isActive else { return }
            self.turnAway(context, "no handshake within \(limit)", kind: "timeout")
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        let frame: WireFrame
        do {
            frame = try WireFrame.decode(payload, protocolVersion: core.config.protocolVersion)
        } catch {
            switch stage {
            case .established(let peer):
                // Framing is intact, so one bad message need not cost the connection.
                core.logger.error("dropping an undecodable message from peer \(peer): \(error)")
            case .awaitingHello, .awaitingProof:
                turnAway(context, "invalid handshake: \(error)", kind: "invalid")
            case .closing:
                break
            }
            return
        }
        switch (stage, frame) {
        case (.closing, _):
            return
        case (.established(let peer), .message(let message)):
            if !core.deliver(message, from: peer) {
                stage = .closing
                context.close(promise: nil)
            }
        case (.established(let peer), .state(let state)):
            core.config.peerState(peer, state)
        case (.established(let peer), _):
            core.logger.warning("closing connection from peer \(peer): protocol error (a handshake frame after the handshake)")
            stage = .closing
            context.close(promise: nil)
        case (.awaitingHello, .hello(let hello)):
            if let reason = core.refusal(of: hello) {
                turnAway(context, reason, kind: "hello", answer: reason)
                return
            }
            let nonce = HandshakeTranscript.freshNonce()
            stage = .awaitingProof(dialerNonce: hello.nonce, acceptorNonce: nonce)
            context.writeAndFlush(wrapOutboundOut(WireFrame.challenge(nonce: nonce).framed(allocator: context.channel.allocator)), promise: nil)
        case (.awaitingProof(let dialerNonce, let acceptorNonce), .proof(let proof)):
            switch core.checkDialer(proof, dialerNonce: dialerNonce, acceptorNonce: acceptorNonce) {
            case .stranger(let reason):
                turnAway(context, reason, kind: "proof", claimed: proof.nodeID)
            case .refused(let reason):
                turnAway(context, reason, kind: "admit", claimed: proof.nodeID, answer: reason)
            case .admitted(let ours):
                timeout?.cancel()
                timeout = nil
                stage = .established(proof.nodeID)
                peer = proof.nodeID
                reader.authenticated(maxFrameSize: core.config.maxFrameSize)
                context.writeAndFlush(wrapOutboundOut(WireFrame.accept(ours).framed(allocator: context.channel.allocator)), promise: nil)
                core.inboundEstablished(context.channel, peer: proof.nodeID, incarnation: proof.incarnation)
            }
        case (.awaitingHello, _):
            turnAway(context, "it did not open with a hello", kind: "invalid")
        case (.awaitingProof, _):
            turnAway(context, "it did not answer our challenge with a proof", kind: "invalid")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        timeout = nil
        core.inboundClosed(context.channel, peer: peer)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let peer {
            if error is FrameError {
                core.logger.error("closing connection from peer \(peer): \(TransportCore.describe(error))")
            } else {
                core.logger.debug("closing connection from peer \(peer): \(TransportCore.describe(error))")
            }
            stage = .closing
            context.close(promise: nil)
        } else if error is FrameError {
            turnAway(context, TransportCore.describe(error), kind: "frame")
        } else {
            core.logger.debug("closing peer connection from \(remote(context)): \(TransportCore.describe(error))")
            stage = .closing
            context.close(promise: nil)
        }
    }

    /// Refuses the connection before it is established: counted, logged (rate-limited) with
    /// `reason`, and closed; `answer`, when given, is written first (only a version mismatch or
    /// a dialer that proved itself gets one).
    private func turnAway(_ context: ChannelHandlerContext, _ reason: String, kind: String, claimed: NodeID? = nil, answer: String? = nil) {
        guard peer == nil else { return }
        if case .closing = stage { return }
        stage = .closing
        timeout?.cancel()
        timeout = nil
        core.refusedInbound(from: remote(context), claimed: claimed, reason: reason, kind: kind)
        guard let answer else {
            context.close(promise: nil)
            return
        }
        let frame = WireFrame.refuse(reason: answer).framed(allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func remote(_ context: ChannelHandlerContext) -> String {
        TransportCore.describe(context.channel.remoteAddress)
    }
}
