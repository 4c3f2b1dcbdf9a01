import FlotillaAPI
import Hummingbird

/// Holds one of the node's `AnswerSlots` from before a task list is built until its body has
/// been taken by the client (or the connection is gone), so non-reading clients cannot make
/// the node hold more than a bounded number of large answers; a request that finds no slot
/// within `patience` is answered 503 `unavailable`. Building an answer (the list, its JSON)
/// briefly takes several times the answer's size, so fewer are built at once (`builders`).
struct AnswerSlotsMiddleware: RouterMiddleware {
    let slots: AnswerSlots
    let builders: AnswerSlots
    var patience: Duration = .seconds(5)

    func handle(_ request: Request, context: AdminRequestContext,
                next: (Request, AdminRequestContext) async throws -> Response) async throws -> Response {
        // Only lists are large: one task, or a write, passes straight through.
        guard request.method == .get, request.uri.path.hasSuffix("/tasks") else { return try await next(request, context) }
        guard await slots.acquire(patience: patience) else {
            throw APIError("the node is busy sending \(slots.count) large answers to clients that read slowly; retry shortly",
                           code: .unavailable)
        }
        let lease = AnswerSlots.Lease(slots)
        guard await builders.acquire(patience: patience) else {
            lease.end()
            throw APIError("the node is busy building large answers; retry shortly", code: .unavailable)
        }
        var response: Response
        do {
            response = try await next(request, context)
            builders.release()
        } catch {
            builders.release()
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
