import FlotillaAPI
import Foundation
import Hummingbird
import NIOCore

/// `/v1/events`: what happened on the node, as server-sent events or a recent list.
struct EventRoutes {
    let api: NodeAPI

    /// `GET /v1/events`: the last 100 events, then each new one as it happens.
    var stream: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get { _, _ in
            let stream = api.events.subscribe()
            let backlog = api.events.recentEvents().suffix(100)
            let body = ResponseBody { writer in
                let encoder = JSONEncoder()
                for e in backlog { try await writer.write(Self.sse(e, encoder)) }
                for await e in stream { try await writer.write(Self.sse(e, encoder)) }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        }
        return routes
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

    static func sse(_ e: NodeEvent, _ encoder: JSONEncoder) -> ByteBuffer {
        let data = (try? encoder.encode(e)) ?? Data()
        return ByteBuffer(string: "id: \(e.seq)\nevent: \(e.kind)\ndata: \(String(decoding: data, as: UTF8.self))\n\n")
    }
}
