import FlotillaAPI
import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// `/v1/events`: what happened on the node, as server-sent events or a recent list.
struct EventRoutes {
    let api: NodeAPI

    /// `GET /v1/events`: the last 100 events, then each new one as it happens. A stream sends
    /// what arrived since its last write at most every `pace`, and holds no buffer of its own
    /// (it reads the node's event ring by position); one that falls more than
    /// `--event-lag` events behind gets a final `dropped` event and ends, and one whose client
    /// stops reading is closed by the connection's write-stall deadline. After 15 s without an
    /// event a stream writes a `: keep-alive` comment, so a client that went away on a quiet
    /// node is found (the connection only reads again once the answer ends).
    var stream: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get { _, _ in
            let (events, metrics, lag) = (api.events, api.metrics, api.config.adminLimits.eventLag)
            let start = events.newest
            let body = ResponseBody { writer in
                metrics.eventStreams.increment()
                defer { metrics.eventStreams.decrement() }
                var position = start - min(start, UInt64(min(100, lag)))
                reading: while true {
                    switch await events.read(after: position, maxLag: lag) {
                    case let .frames(frames, through):
                        try await writer.write(frames)
                        position = through
                        try await Task.sleep(for: Self.pace)
                    case .behind(let missed):
                        metrics.eventStreamsDropped.increment()
                        try await writer.write(Self.dropped(missed: missed, lag: lag))
                        break reading
                    case .finished:
                        break reading
                    case .quiet:
                        // A comment clients skip: on a quiet node it is what finds a client that
                        // has gone, and frees its connection.
                        try await writer.write(Self.keepAlive)
                    }
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        }
        return routes
    }

    /// How often a busy stream writes: its events in between go out together.
    static let pace = Duration.milliseconds(50)

    /// Written after 15 s without an event.
    static let keepAlive = ByteBuffer(string: ": keep-alive\n\n")

    /// The last frame of a stream that fell behind: why it ends, and how to go on.
    static func dropped(missed: UInt64, lag: Int) -> ByteBuffer {
        let reason = "this stream fell \(missed) events behind (more than \(lag)); reconnect, and read "
            + "/v1/events/recent for what was missed"
        let data = (try? JSONEncoder().encode(["reason": reason])) ?? Data()
        return ByteBuffer(string: ": dropped: the client did not keep up\nevent: dropped\ndata: \(String(decoding: data, as: UTF8.self))\n\n")
    }

    /// `GET /v1/events/recent?limit=N`.
    var recent: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get("recent") { request, _ in
            let limit = try request.integer("limit", default: 50, in: 1...1000)
            return Response.json(Array(api.events.recentEvents().suffix(limit)))
        }
        return routes
    }
}
