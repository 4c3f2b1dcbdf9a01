import NIOCore
import NIOHTTP1

/// Two of the admin API's limits on one connection, enforced in its channel pipeline (and,
/// until the request head comes, the connection's place in `headless`):
/// - a connection that has not sent a complete request head `headerTimeout` after it opened
///   is closed (a client that opens sockets and sends nothing, or dribbles a head, holds a
///   descriptor for at most that long);
/// - a connection whose outbound bytes have made no progress for `writeStall` while the
///   socket is full is closed, so a client that does not read cannot make the node hold its
///   answer (a task list, an event stream) for ever.
/// Large body parts are written in slices, so a slow reader that does take bytes counts as
/// progress and is not cut off mid-answer.
final class ConnectionDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Body parts above this are written as slices of it (slices share the buffer's storage).
    static let sliceBytes = 64 * 1024

    private let headerTimeout: TimeAmount
    private let writeStall: TimeAmount
    private let onClose: @Sendable (Reason) -> Void
    private let headless: HeadlessConnections?
    private var sawHead = false
    private var headerDeadline: Scheduled<Void>?
    private var stallCheck: Scheduled<Void>?
    private var pendingWrites = 0
    private var lastProgress = NIODeadline.now()

    /// Why a connection was closed by a deadline (counted in the node's metrics).
    enum Reason: Sendable {
        case headerTimeout
        case writeStall
    }

    init(headerTimeout: TimeAmount, writeStall: TimeAmount, headless: HeadlessConnections? = nil,
         onClose: @escaping @Sendable (Reason) -> Void = { _ in }) {
        self.headerTimeout = headerTimeout
        self.writeStall = writeStall
        self.headless = headless
        self.onClose = onClose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            headless?.opened(context.channel)
            armHeaderDeadline(context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        headless?.settled(context.channel)
        cancelAll()
    }

    func channelActive(context: ChannelHandlerContext) {
        if !sawHead { headless?.opened(context.channel) }
        armHeaderDeadline(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        headless?.settled(context.channel)
        cancelAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !sawHead, case .head = unwrapInboundIn(data) {
            sawHead = true
            headless?.settled(context.channel)
            headerDeadline?.cancel()
            headerDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .body(.byteBuffer(var buffer)) = unwrapOutboundIn(data), buffer.readableBytes > Self.sliceBytes else {
            forward(context, data, promise: promise)
            return
        }
        while buffer.readableBytes > Self.sliceBytes, let slice = buffer.readSlice(length: Self.sliceBytes) {
            forward(context, wrapOutboundOut(.body(.byteBuffer(slice))), promise: nil)
        }
        forward(context, wrapOutboundOut(.body(.byteBuffer(buffer))), promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable { armStallCheck(context, at: lastProgress + writeStall) }
        context.fireChannelWritabilityChanged()
    }

    /// Passes a write on, noting when it leaves: each completed write is progress.
    private func forward(_ context: ChannelHandlerContext, _ data: NIOAny, promise: EventLoopPromise<Void>?) {
        let written = context.eventLoop.makePromise(of: Void.self)
        pendingWrites += 1
        written.futureResult.assumeIsolated().whenComplete { [self] _ in
            pendingWrites -= 1
            lastProgress = .now()
        }
        if let promise { written.futureResult.cascade(to: promise) }
        context.write(data, promise: written)
    }

    private func armHeaderDeadline(_ context: ChannelHandlerContext) {
        guard !sawHead, headerDeadline == nil else { return }
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        headerDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: headerTimeout) { [self] in
            headerDeadline = nil
            guard !sawHead else { return }
            onClose(.headerTimeout)
            loopContext.value.close(promise: nil)
        }
    }

    private func armStallCheck(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        guard stallCheck == nil else { return }
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        stallCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            stallCheck = nil
            let context = loopContext.value
            // Nothing waits, or the socket drained: no stall.
            guard pendingWrites > 0, !context.channel.isWritable else { return }
            if NIODeadline.now() - lastProgress >= writeStall {
                onClose(.writeStall)
                context.close(promise: nil)
            } else {
                armStallCheck(context, at: lastProgress + writeStall)
            }
        }
    }

    private func cancelAll() {
        headerDeadline?.cancel()
        headerDeadline = nil
        stallCheck?.cancel()
        stallCheck = nil
    }
}
