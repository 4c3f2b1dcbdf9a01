import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import NIOHTTP1

/// The admin API's HTTP/1 connection: Hummingbird's, with `FramingErrorAnswer` and
/// `ConnectionDeadlines` inserted right after the HTTP decoder, where they see its errors
/// and every request head, and every byte of every answer before it is encoded.
struct AdminChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let http: HTTP1Channel
    let limits: AdminLimits
    let metrics: NodeMetrics
    let headless: HeadlessConnections

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let (limits, metrics, headless) = (limits, metrics, headless)
        return http.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // A fixed send buffer: the kernel's autotuning would let each connection's unread
            // bytes grow to megabytes before the write-stall deadline even starts.
            try channel.syncOptions?.setOption(.socketOption(.so_sndbuf), value: AdminServer.socketSendBuffer)
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            let framing = FramingErrorAnswer { metrics.adminClosed["framing"]?.increment() }
            let deadlines = ConnectionDeadlines(
                headerTimeout: .milliseconds(Int64(limits.headerTimeoutMs)),
                writeStall: .milliseconds(Int64(limits.writeStallMs)), headless: headless) { reason in
                    switch reason {
                    case .headerTimeout: metrics.adminClosed["header-timeout"]?.increment()
                    case .writeStall: metrics.adminClosed["write-stall"]?.increment()
                    }
                }
            try pipeline.addHandler(framing, position: .after(decoder))
            try pipeline.addHandler(deadlines, position: .after(framing))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http.handle(value: value, logger: logger)
    }

    /// The server the node runs: this channel, Hummingbird's idle timeout and header limits.
    static func server(limits: AdminLimits, metrics: NodeMetrics, headless: HeadlessConnections) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            let configuration = HTTP1Channel.Configuration(
                idleTimeout: .milliseconds(Int64(limits.idleTimeoutMs)),
                httpDecoderConfiguration: .init(maxHeaderFieldSize: AdminServer.maxHeaderFieldBytes,
                                                maxHeaderListSize: AdminServer.maxHeaderBytes,
                                                maxHeaderFieldCount: AdminServer.maxHeaderCount))
            return AdminChannel(http: HTTP1Channel(responder: responder, configuration: configuration), limits: limits, metrics: metrics,
                                headless: headless)
        }
    }
}
