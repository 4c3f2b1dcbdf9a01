import FlotillaAPI
import Hummingbird

/// `GET /v1/log/hash?index=N`: the chained hash at N, to compare logs across nodes.
struct LogRoutes {
    let api: NodeAPI

    var hash: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get("hash") { request, _ in
            guard let raw = request.query("index"), let index = UInt64(raw) else {
                throw APIError("index must be a non-negative integer", code: .badRequest)
            }
            guard let found = await api.driver.logHash(at: index) else {
                throw APIError("entry \(index) is not held by this node (compacted or not yet replicated)", code: .notFound)
            }
            return Response.json(found)
        }
        return routes
    }
}
