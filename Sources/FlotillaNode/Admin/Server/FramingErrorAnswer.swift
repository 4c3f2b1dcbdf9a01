import FlotillaAPI
import NIOCore
import NIOHTTP1

/// Answers a request the HTTP parser rejects (a header past the limits, too many headers, two
/// Content-Lengths, Content-Length with chunked…) the way every other admin error is
/// answered: `{"error", "code"}` with a 4xx status, then closes the connection. Without it the
/// framework answers 400 with an empty body. Sits just after the HTTP decoder, whose errors it
/// takes; a parse error while another answer is on the wire only closes the connection, as no
/// second answer can be framed after a broken request.
final class FramingErrorAnswer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Requests whose head was read and whose answer has not ended.
    private var unanswered = 0
    private var failed = false
    private let onAnswer: @Sendable () -> Void

    init(onAnswer: @escaping @Sendable () -> Void = {}) {
        self.onAnswer = onAnswer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        if case .head = unwrapInboundIn(data) { unanswered += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unanswered -= 1 }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After the answer, the decoder reports every byte still arriving: they are discarded.
        guard !failed else { return }
        guard let parse = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        failed = true
        guard unanswered == 0 else {
            context.close(promise: nil)
            return
        }
        onAnswer()
        let (status, body) = Self.answer(parse)
        let bytes = ByteBuffer.json(body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: "\(bytes.readableBytes)")
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        // A lingering close: the answer's end is sent first and what the client still sends is
        // read and dropped for a moment, since closing on unread bytes would reset the
        // connection and could destroy the answer before the client reads it.
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            let context = loopContext.value
            context.close(mode: .output, promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: Self.linger) { loopContext.value.close(promise: nil) }
        }
    }

    /// How long a refused connection's further bytes are read and dropped before it is closed.
    static let linger = TimeAmount.seconds(2)

    /// The status and error for what the parser refused.
    static func answer(_ error: HTTPParserError) -> (HTTPResponseStatus, APIError) {
        switch error {
        case .headerOverflow:
            return (.requestHeaderFieldsTooLarge,
                    APIError("the request's headers exceed the node's limits (\(AdminServer.maxHeaderFieldBytes) bytes a field, "
                             + "\(AdminServer.maxHeaderBytes) bytes and \(AdminServer.maxHeaderCount) fields in all)", code: .tooLarge))
        case .unexpectedContentLength, .invalidContentLength:
            return (.badRequest, APIError("malformed HTTP request: a conflicting or invalid Content-Length (\(error))", code: .badRequest))
        case .invalidChunkSize:
            return (.badRequest, APIError("malformed HTTP request: an invalid chunk (\(error))", code: .badRequest))
        default:
            return (.badRequest, APIError("malformed HTTP request (\(error))", code: .badRequest))
        }
    }
}
