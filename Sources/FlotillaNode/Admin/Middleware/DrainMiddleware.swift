import FlotillaAPI
import Hummingbird

/// Refuses requests with 503 `unavailable` once the node has begun to shut down, so nothing
/// new starts while waiting writes are being answered.
struct DrainMiddleware: RouterMiddleware {
    let api: NodeAPI

    func handle(_ request: Request, context: AdminRequestContext,
                next: (Request, AdminRequestContext) async throws -> Response) async throws -> Response {
        if api.shutdown.draining { throw api.shuttingDown }
        return try await next(request, context)
    }
}
