import Logging
import NIOCore
import RaftCore

/// The pipeline end of a connection a peer dialled to us: checks the peer's handshake,
/// answers accept or refuse, then hands every message frame to the transport.
final class AcceptorHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: TransportCore
    /// The peer's node id once its handshake is accepted.
    private var peer: NodeID?
    private var refused = false
    private var timeout: Scheduled<Void>?

    init(core: TransportCore) {
        self.core = core
    }

    func channelActive(context: ChannelHandlerContext) {
        core.inboundOpened(context.channel)
        let limit = core.config.handshakeTimeout
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(in: TimeAmount(limit)) {
            let handler = bound.value
            guard handler.peer == nil else { return }
            handler.core.logger.warning("closing peer connection from \(handler.remote(loopBoundContext.value)): no handshake within \(limit)")
            loopBoundContext.value.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let payload = unwrapInboundIn(data)
        let frame: WireFrame
        do {
            frame = try WireFrame.decode(payload)
        } catch {
            if let peer {
                // Framing is intact, so one bad message need not cost the connection.
                core.logger.error("dropping an undecodable message from peer \(peer): \(error)")
            } else {
                core.logger.warning("closing peer connection from \(remote(context)): invalid handshake: \(error)")
                context.close(promise: nil)
            }
            return
        }
        if let peer {
            if case .message(let message) = frame {
                core.deliver(message, from: peer)
            } else {
                core.logger.warning("closing connection from peer \(peer): protocol error (a handshake frame after the handshake)")
                context.close(promise: nil)
            }
            return
        }
        timeout?.cancel()
        timeout = nil
        guard case .hello(let hello) = frame else {
            core.logger.warning("closing peer connection from \(remote(context)): it did not open with a handshake")
            context.close(promise: nil)
            return
        }
        if let reason = core.refusal(of: hello) {
            refused = true
            core.logger.warning("refused peer connection from \(hello.nodeID) at \(remote(context)): \(reason)")
            let answer = WireFrame.refuse(reason: reason).framed(allocator: context.channel.allocator)
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(answer)).assumeIsolated().whenComplete { _ in
                loopBoundContext.value.close(promise: nil)
            }
            return
        }
        peer = hello.nodeID
        let answer = WireFrame.accept(core.ourHandshake).framed(allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
        core.inboundEstablished(context.channel, peer: hello.nodeID)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timeout?.cancel()
        timeout = nil
        core.inboundClosed(context.channel, peer: peer)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let who = peer.map { "peer \($0)" } ?? remote(context)
        if error is FrameError || error is ByteToMessageDecoderError.PayloadTooLargeError {
            core.logger.error("closing connection from \(who): \(TransportCore.describe(error))")
        } else {
            core.logger.debug("closing connection from \(who): \(TransportCore.describe(error))")
        }
        context.close(promise: nil)
    }

    private func remote(_ context: ChannelHandlerContext) -> String {
        TransportCore.describe(context.channel.remoteAddress)
    }
}
