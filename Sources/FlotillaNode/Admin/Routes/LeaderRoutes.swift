import FlotillaAPI
import Hummingbird

/// `POST /v1/leader`: hands leadership to `{"to"}`, or with no body to the most caught-up voter.
struct LeaderRoutes {
    let api: NodeAPI

    var transfer: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.post { request, context in
            let body = try await request.decode(as: TransferRequest?.self, context: context) ?? TransferRequest()
            let target = try await api.transfer(to: body.to)
            return Response.json(OperationResult(message: "transferring leadership to \(target)"), status: .accepted)
        }
        return routes
    }
}
