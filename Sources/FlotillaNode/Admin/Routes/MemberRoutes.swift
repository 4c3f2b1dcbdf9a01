import FlotillaAPI
import Hummingbird
import RaftCore

/// `/v1/members` (the membership, joins and their approval, promotion, removal) and
/// `/v1/bootstrap` (founding the cluster on an uninitialized node).
struct MemberRoutes {
    let api: NodeAPI

    /// `GET /v1/members`.
    var reads: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get { _, _ in
            let s = api.status
            return Response.json(MemberList(members: s.members, leader: s.leader, pending: s.role == .leader ? api.pendingJoins.all : nil))
        }
        return routes
    }

    /// Membership changes: the leader's to make.
    var writes: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.post(use: join)
        routes.post(":id/approve") { _, context in
            let id = try context.parameter("id")
            try await api.decide(id, approve: true)
            return Response.json(OperationResult(message: "\(id) approved and added as a learner"))
        }
        routes.post(":id/deny") { _, context in
            let id = try context.parameter("id")
            try await api.decide(id, approve: false)
            return Response.json(OperationResult(message: "the join of \(id) was denied"))
        }
        routes.post(":id/promote") { _, context in
            let id = try context.parameter("id")
            _ = try await api.propose(.promote(id))
            return Response.json(OperationResult(message: "\(id) promoted to voter"))
        }
        routes.delete(":id") { _, context in
            let id = try context.parameter("id")
            _ = try await api.propose(.remove(id))
            return Response.json(OperationResult(message: "\(id) removed"))
        }
        return routes
    }

    /// `POST /v1/bootstrap`: any uninitialized node takes it, there being no leader yet.
    var bootstrap: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.post { request, context in
            try await api.bootstrap(try await request.decode(as: BootstrapRequest.self, context: context))
            return Response.json(OperationResult(message: "bootstrapped"), status: .created)
        }
        return routes
    }

    /// Adds a learner at once (201), or holds it for an operator's approval (202).
    func join(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let join = try await request.decode(as: JoinRequest.self, context: context)
        if try await api.join(join) {
            return .json(OperationResult(message: "\(join.id) added as a learner"), status: .created)
        }
        return .json(OperationResult(message: "\(join.id) is waiting for an operator's approval"), status: .accepted)
    }
}
