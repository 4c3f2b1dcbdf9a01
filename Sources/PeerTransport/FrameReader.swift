import NIOCore

/// The first handler of every peer connection: turns bytes into frames under a limit that is
/// small until the peer has proved itself (`authenticated(maxFrameSize:)`), and closes a
/// connection whose partial frame makes no progress for `stallLimit`. Errors go down the
/// pipeline as `FrameError`s for the connection's handler to log and close on.
final class FrameReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var assembler = FrameAssembler()
    private var limit: Int
    private var authenticated = false
    private let stallLimit: TimeAmount
    private let stallDuration: Duration
    private var lastProgress = NIODeadline.now()
    private var stallCheck: Scheduled<Void>?
    private var failed = false

    init(handshakeFrameLimit: Int, stallLimit: Duration) {
        self.limit = handshakeFrameLimit
        self.stallLimit = TimeAmount(stallLimit)
        self.stallDuration = stallLimit
    }

    /// The peer has proved itself: frames up to `maxFrameSize` are read from now on.
    func authenticated(maxFrameSize: Int) {
        authenticated = true
        limit = maxFrameSize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var input = unwrapInboundIn(data)
        lastProgress = .now()
        do throws(FrameError) {
            while !failed, context.channel.isActive,
                  let frame = try assembler.next(from: &input, limit: limit, allocator: context.channel.allocator) {
                context.fireChannelRead(wrapInboundOut(frame))
            }
        } catch {
            guard case .frameTooLarge(let length, let limit) = error, !authenticated else { return fail(context, error) }
            return fail(context, .tooLargeBeforeHandshake(length: length, limit: limit))
        }
        if assembler.isMidFrame, !failed { armStallCheck(context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stallCheck?.cancel()
        stallCheck = nil
        assembler = FrameAssembler()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stallCheck?.cancel()
        stallCheck = nil
    }

    private func armStallCheck(_ context: ChannelHandlerContext) {
        guard stallCheck == nil else { return }
        stallCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: lastProgress + stallLimit) {
            self.stallCheck = nil
            guard !self.failed, self.assembler.isMidFrame, context.channel.isActive else { return }
            if NIODeadline.now() - self.lastProgress >= self.stallLimit {
                let (received, length) = self.assembler.progress
                self.fail(context, .stalled(received: received, of: length, after: self.stallDuration))
            } else {
                self.armStallCheck(context)
            }
        }
    }

    private func fail(_ context: ChannelHandlerContext, _ error: FrameError) {
        failed = true
        stallCheck?.cancel()
        stallCheck = nil
        context.fireErrorCaught(error)
    }
}
