import FlotillaAPI
import Hummingbird
import PeerTransport

/// `/v1/faults`: what this node drops or delays on its Raft links, and its own disk and clock
/// faults. Any node takes them, leader or not.
struct FaultRoutes {
    let api: NodeAPI

    /// `GET /v1/faults`.
    var reads: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get { _, _ in Response.json(api.status.faults) }
        return routes
    }

    /// `GET /v1/links`: this node's Raft traffic per peer, as its transport counted it: frames
    /// sent and received, messages the fault filter took (`filtered`) or a full queue lost
    /// (`dropped`), the connections. What a lossy link's share is read from.
    var traffic: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get { _, _ in Response.json(api.transport.stats()) }
        return routes
    }

    /// `PUT /v1/faults` sets the rules, `DELETE /v1/faults` clears them.
    var writes: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.put { request, context in
            let spec = try await request.decode(as: FaultSpec.self, context: context)
            if let problem = spec.problem ?? api.localFaults.problem(spec) { throw APIError(problem, code: .badRequest) }
            return await apply(spec, event: "fault rules set")
        }
        routes.delete { _, _ in await apply(FaultSpec(), event: "fault rules cleared") }
        return routes
    }

    /// Installs `spec` on the transport and the node, records `event`, and answers the rules as
    /// the node now reports them.
    func apply(_ spec: FaultSpec, event: String) async -> Response {
        let rules = FaultRules(spec)
        api.transport.setFaults(rules)
        api.localFaults.apply(spec)
        let what = spec.isClean ? "" : ": \(rules)" + (spec.nodeSummary.map { "; \($0)" } ?? "")
        api.events.record("fault", term: api.status.term, event + what)
        await api.driver.republish()
        return .json(api.status.faults)
    }
}
