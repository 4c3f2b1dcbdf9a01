import FlotillaAPI
import Hummingbird

/// `/v1/faults/crash` and `/v1/faults/freeze`: process faults through the admin API, for nodes
/// the operator cannot signal (reached with `--connect`, on other hosts, in pods where the
/// platform restarts what dies). They need the cluster token, as every mutation does.
struct ProcessFaultRoutes {
    let api: NodeAPI

    /// `POST /v1/faults/crash`: the node exits at once, as a SIGKILL would (no drain, no
    /// goodbye to its peers), leaving its last words in its log. The request gets no answer.
    var crash: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.post { _, _ -> Response in
            LastWords.die(node: api.config.id, "crashed by the operator (POST /v1/faults/crash)", status: 137)
        }
        return routes
    }

    /// `POST /v1/faults/freeze {"ms": N}`: the Raft loop and every admin answer stop for N ms
    /// (1 to 60,000), as a SIGSTOP and a SIGCONT N ms later would. Answered before it begins.
    var freeze: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.post { request, context in
            let body = try await request.decode(as: FreezeRequest.self, context: context)
            if let problem = body.problem { throw APIError(problem, code: .badRequest) }
            let until = ContinuousClock.now + .milliseconds(body.ms)
            api.events.record("fault", term: api.status.term, "frozen for \(body.ms) ms by the operator")
            api.freeze.freeze(until: until)
            api.driver.inbox.push(.freeze(until: until))
            return Response.json(OperationResult(message: "frozen for \(body.ms) ms"))
        }
        return routes
    }
}
