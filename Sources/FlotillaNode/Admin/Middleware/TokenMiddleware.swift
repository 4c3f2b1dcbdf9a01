import FlotillaAPI
import Hummingbird

/// Refuses a mutation (anything but a GET) without `Authorization: Bearer <cluster token>`
/// (401); reads need no token, and a node started without one takes every request.
struct TokenMiddleware: RouterMiddleware {
    let token: String?
    /// The `Authorization` value a mutation must carry.
    private let expected: String?

    init(token: String?) {
        self.token = token
        expected = token.map { "Bearer \($0)" }
    }

    func handle(_ request: Request, context: AdminRequestContext,
                next: (Request, AdminRequestContext) async throws -> Response) async throws -> Response {
        if let expected, request.method != .get, request.headers.value(of: .authorization) != expected {
            throw APIError("missing or wrong token: send Authorization: Bearer <cluster token>", code: .unauthorized)
        }
        return try await next(request, context)
    }
}
