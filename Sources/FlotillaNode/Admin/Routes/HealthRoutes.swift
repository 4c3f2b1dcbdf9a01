import FlotillaAPI
import Hummingbird
import NIOCore

/// `GET /v1/health` (liveness) and `GET /metrics` (Prometheus text).
struct HealthRoutes {
    let api: NodeAPI

    var health: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get { _, _ in Response.json(OperationResult(message: "ok")) }
        return routes
    }

    var metrics: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: api.metrics.text())))
        }
        return routes
    }
}
