import FlotillaAPI
import Hummingbird

/// Answers a request no route matched: 405 with `Allow` when its path names a resource that
/// takes other methods, else 404. Added to the router after every route, it wraps only the
/// router's not-found answer, which it replaces.
struct NoRouteMiddleware: RouterMiddleware {
    /// Every route the router serves.
    let routes: [(path: RouterPath, method: HTTPRequest.Method)]

    func handle(_ request: Request, context: AdminRequestContext,
                next: (Request, AdminRequestContext) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let components = path.split(separator: "/")
        let allowed = Set(routes.filter { Self.path($0.path, matches: components) }.map(\.method.rawValue)).sorted()
        let shown = path.prefix(200)
        guard !allowed.isEmpty else {
            throw APIError("no route \(request.method) \(shown); see GET /v1/status, /v1/tasks, /v1/members", code: .notFound)
        }
        let list = allowed.joined(separator: ", ")
        var response = APIError("\(request.method) is not allowed on \(shown); it takes \(list)", code: .methodNotAllowed).response
        response.headers[.allow] = list
        return response
    }

    /// Whether `route` matches the path's components, as the router's trie does (a capture matches any one component).
    static func path(_ route: RouterPath, matches components: [Substring]) -> Bool {
        route.components.count == components.count && zip(route.components, components).allSatisfy { $0 ~= $1 }
    }
}
