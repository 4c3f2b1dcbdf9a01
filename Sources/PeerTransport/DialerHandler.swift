import Logging
import NIOCore

/// The pipeline end of a connection we dialled: sends our hello, answers the peer's challenge
/// with our proof, checks the peer's proof in its accept, then only writes (the transport
/// drains the link's queue into it).
final class DialerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Stage {
        case awaitingChallenge(dialerNonce: [UInt8])
        case awaitingAccept(HandshakeTranscript)
        case accepted
        /// The peer's accept did not check out (the core has said why).
        case dropped
    }

    private let core: TransportCore
    private let link: PeerLink
    private let attempt: UInt64
    private var stage = Stage.awaitingChallenge(dialerNonce: [])
    private var timeout: Scheduled<Void>?
    /// Why we are closing, reported to the core when the channel goes inactive.
    private var closeReason: String?

    init(core: TransportCore, link: PeerLink, attempt: UInt64) {
        self.core = core
        self.link = link
        self.attempt = attempt
    }

    private var accepted: Bool {
        if case .accepted = stage { return true }
        return false
    }

    func channelActive(context: ChannelHandlerContext) {
        let nonce = HandshakeTranscript.freshNonce()
        stage = .awaitingChallenge(dialerNonce: nonce)
        let hello = WireFrame.hello(PeerHello(protocolVersion: core.config.protocolVersion, nonce: nonce))
        context.writeAndFlush(wrapOutboundOut(hello.framed(allocator: context.channel.allocator)), promise: nil)
        let limit = core.config.handshakeTimeout
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limit)) {
            self.close(context, reason: "no handshake answer within \(limit)")
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let payload = unwrapInboundIn(data)
        guard !accepted else {
            close(context, reason: "protocol error: the peer sent a frame after accepting our handshake")
            return
        }
        let frame: WireFrame
        do {
            frame = try WireFrame.decode(payload, protocolVersion: core.config.protocolVersion)
        } catch {
            close(context, reason: "invalid handshake answer: \(error)")
            return
        }
        switch (stage, frame) {
        case (.awaitingChallenge(let dialerNonce), .challenge(let acceptorNonce)):
            let (transcript, proof) = core.proveDialer(to: link.peer, dialerNonce: dialerNonce, acceptorNonce: acceptorNonce)
            stage = .awaitingAccept(transcript)
            context.writeAndFlush(wrapOutboundOut(WireFrame.proof(proof).framed(allocator: context.channel.allocator)), promise: nil)
        case (.awaitingAccept(let transcript), .accept(let proof)):
            timeout?.cancel()
            timeout = nil
            if core.outboundEstablished(link, attempt: attempt, channel: context.channel, proof: proof, transcript: transcript) {
                stage = .accepted
            } else {
                stage = .dropped
                close(context, reason: nil)
            }
        case (_, .refuse(let reason)):
            core.outboundRefused(link, attempt: attempt, reason: reason)
            close(context, reason: "refused by the peer: \(reason)")
        default:
            close(context, reason: "protocol error: expected a handshake answer")
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if accepted, context.channel.isWritable { core.drain(link) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        timeout = nil
        if case .awaitingAccept = stage, closeReason == nil {
            // All a peer that cannot verify our proof does: it tells a stranger nothing more.
            let reason = "it closed the connection on our handshake proof (does it share our cluster secret and cluster id, "
                + "and is it \(link.peer)?)"
            core.outboundRefused(link, attempt: attempt, reason: reason)
            closeReason = reason
        }
        let reason: String? = if case .dropped = stage { closeReason } else {
            closeReason ?? (accepted ? "connection closed by the peer" : "connection closed during the handshake")
        }
        core.outboundClosed(link, attempt: attempt, reason: reason)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason = TransportCore.describe(error)
        if error is FrameError {
            core.logger.error("closing connection to peer \(link.peer): \(reason)")
        }
        close(context, reason: reason)
    }

    private func close(_ context: ChannelHandlerContext, reason: String?) {
        if closeReason == nil { closeReason = reason }
        timeout?.cancel()
        timeout = nil
        context.close(promise: nil)
    }
}
