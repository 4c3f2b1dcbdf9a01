import FlotillaAPI
import Hummingbird

/// `GET /v1/status`: everything the node knows about itself, as a conditional, long-pollable GET.
struct StatusRoutes {
    let api: NodeAPI

    var status: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get(use: status)
        return routes
    }

    /// With `If-None-Match` naming the current tag the answer is 304, and `?wait=MS` holds it
    /// until the status changes or MS pass. Watchers long-poll this way; `&pace=MS` holds even a
    /// changed status that long, so a busy node answers a watcher at most once per pace.
    func status(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let wait = try request.integer("wait", default: 0, in: 0...AdminServer.maxStatusWaitMs)
        let pace = try request.integer("pace", default: 0, in: 0...AdminServer.maxStatusWaitMs)
        let board = api.driver.board
        var (status, tag) = board.tagged
        if let known = request.headers[.ifNoneMatch] {
            let held = min(pace, wait)
            if held > 0, !api.shutdown.draining {
                try? await Task.sleep(for: .milliseconds(held))
                (status, tag) = board.tagged
            }
            if known == tag {
                guard wait > held, !api.shutdown.draining,
                      await board.waitForChange(from: tag, timeout: .milliseconds(wait - held)) else {
                    return Response(status: .notModified, headers: [.eTag: tag])
                }
                (status, tag) = board.tagged
            }
        }
        var response = Response.json(status)
        response.headers[.eTag] = tag
        return response
    }
}
