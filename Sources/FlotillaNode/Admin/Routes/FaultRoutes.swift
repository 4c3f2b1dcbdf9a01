import FlotillaAPI
import Hummingbird
import PeerTransport

/// `/v1/faults`: what this node drops or delays on its Raft links. Any node takes them, leader or not.
struct FaultRoutes {
    let api: NodeAPI

    /// `GET /v1/faults`.
    var reads: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get { _, _ in Response.json(api.status.faults) }
        return routes
    }

    /// `PUT /v1/faults` sets the rules, `DELETE /v1/faults` clears them.
    var writes: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.put { request, context in
            let spec = try await request.decode(as: FaultSpec.self, context: context)
            if let problem = spec.problem { throw APIError(problem, code: .badRequest) }
            let rules = FaultRules(spec)
            return await apply(rules, event: "fault rules set: \(rules)")
        }
        routes.delete { _, _ in await apply(FaultRules(), event: "fault rules cleared") }
        return routes
    }

    /// Installs `rules` on the transport, records `event`, and answers the rules as the node now reports them.
    func apply(_ rules: FaultRules, event: String) async -> Response {
        api.transport.setFaults(rules)
        api.events.record("fault", term: api.status.term, event)
        await api.driver.republish()
        return .json(api.status.faults)
    }
}
