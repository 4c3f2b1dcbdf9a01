import FlotillaAPI
import Hummingbird

/// Holds one of the node's `AnswerSlots` from before a task list is built until its body has
/// been taken by the client (or the connection is gone), so non-reading clients cannot make
/// the node hold more than a bounded number of large answers; a request that finds no slot
/// within `patience` is answered 503 `unavailable`.
struct AnswerSlotsMiddleware: RouterMiddleware {
    let slots: AnswerSlots
    var patience: Duration = .seconds(5)

    func handle(_ request: Request, context: AdminRequestContext,
                next: (Request, AdminRequestContext) async throws -> Response) async throws -> Response {
        guard request.method == .get else { return try await next(request, context) }
        guard await slots.acquire(patience: patience) else {
            throw APIError("the node is busy sending \(slots.count) large answers to clients that read slowly; retry shortly",
                           code: .unavailable)
        }
        let lease = AnswerSlots.Lease(slots)
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            lease.end()
            throw error
        }
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { lease.end() }
            try await body.write(writer)
        }
        return response
    }
}
