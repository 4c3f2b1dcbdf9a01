import FlotillaAPI
import Hummingbird
import PeerTransport

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
        var (status, tag, boardTag) = current()
        if let known = request.headers[.ifNoneMatch] {
            let held = min(pace, wait)
            if held > 0, !api.shutdown.draining {
                try? await Task.sleep(for: .milliseconds(held))
                (status, tag, boardTag) = current()
            }
            if known == tag {
                guard wait > held, !api.shutdown.draining else { return Response(status: .notModified, headers: [.eTag: tag]) }
                let changed = await board.waitForChange(from: boardTag, timeout: .milliseconds(wait - held))
                (status, tag, _) = current()
                if !changed, known == tag { return Response(status: .notModified, headers: [.eTag: tag]) }
            }
        }
        var response = Response.json(status)
        response.headers[.eTag] = tag
        return response
    }

    /// The status and its tag. The board's tag moves only with what the driver publishes, so
    /// the transport's fault version is part of the tag too: a change of link faults alone
    /// shows at once to a plain GET, and at the end of its wait to a watcher.
    func current() -> (status: NodeStatus, tag: String, boardTag: String) {
        let version = api.transport.faultsVersion
        let (status, tag) = api.driver.board.tagged
        var answer = status
        answer.faults = FaultSpec(api.transport.faults)
        return (answer, String(tag.dropLast()) + "-f\(version)\"", tag)
    }
}
