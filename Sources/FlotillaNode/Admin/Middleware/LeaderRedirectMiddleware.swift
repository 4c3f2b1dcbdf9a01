import FlotillaAPI
import Hummingbird

/// Passes a write to its route only on the leader. A follower that knows the leader answers
/// 307 with `Location` on the leader's admin address and a `not-leader` body naming it, so
/// clients can follow; without a leader the answer is 503 `no-leader`.
struct LeaderRedirectMiddleware: RouterMiddleware {
    let api: NodeAPI

    func handle(_ request: Request, context: AdminRequestContext,
                next: (Request, AdminRequestContext) async throws -> Response) async throws -> Response {
        guard api.status.role == .leader else { return try Self.redirect(request, api: api) }
        return try await next(request, context)
    }

    /// A follower's answer to what only the leader serves: 307 to the leader, or 503 without one.
    static func redirect(_ request: Request, api: NodeAPI) throws(APIError) -> Response {
        guard let leader = api.redirectTarget else {
            throw APIError("there is no leader right now; retry shortly", code: .noLeader)
        }
        var response = Response.json(APIError("this node is not the leader; the leader is at \(leader)", code: .notLeader, leader: leader),
                                     status: .temporaryRedirect)
        response.headers[.location] = "http://\(leader)\(request.uri.string)"
        return response
    }
}
