import Hummingbird

/// Holds every admin request while the node is frozen (`POST /v1/faults/freeze`) and answers it
/// only after the thaw, as a stopped process would leave it queued in the kernel.
struct FreezeMiddleware: RouterMiddleware {
    let freeze: NodeFreeze

    func handle(_ request: Request, context: AdminRequestContext,
                next: (Request, AdminRequestContext) async throws -> Response) async throws -> Response {
        await freeze.waitForThaw()
        return try await next(request, context)
    }
}
