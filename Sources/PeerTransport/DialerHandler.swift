import Logging
import NIOCore

/// The pipeline end of a connection we dialled: sends our handshake, waits for the
/// peer's answer, then only writes (the transport drains the link's queue into it).
final class DialerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: TransportCore
    private let link: PeerLink
    private let attempt: UInt64
    private var accepted = false
    private var timeout: Scheduled<Void>?
    /// Why we are closing, reported to the core when the channel goes inactive.
    private var closeReason: String?

    init(core: TransportCore, link: PeerLink, attempt: UInt64) {
        self.core = core
        self.link = link
        self.attempt = attempt
    }

    func channelActive(context: ChannelHandlerContext) {
        let hello = WireFrame.hello(core.ourHandshake).framed(allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(hello), promise: nil)
        let limit = core.config.handshakeTimeout
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(in: TimeAmount(limit)) {
            bound.value.close(loopBoundContext.value, reason: "no handshake answer within \(limit)")
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
            frame = try WireFrame.decode(payload)
        } catch {
            close(context, reason: "invalid handshake answer: \(error)")
            return
        }
        timeout?.cancel()
        timeout = nil
        switch frame {
        case .accept(let peer):
            if core.outboundEstablished(link, attempt: attempt, channel: context.channel, peer: peer) {
                accepted = true
            } else {
                close(context, reason: nil)
            }
        case .refuse(let reason):
            core.outboundRefused(link, attempt: attempt, reason: reason)
            close(context, reason: "refused by the peer: \(reason)")
        case .hello, .message:
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
        core.outboundClosed(link, attempt: attempt, reason: closeReason ?? (accepted ? "connection closed by the peer" : "connection closed during the handshake"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason = TransportCore.describe(error)
        if error is FrameError || error is ByteToMessageDecoderError.PayloadTooLargeError {
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
