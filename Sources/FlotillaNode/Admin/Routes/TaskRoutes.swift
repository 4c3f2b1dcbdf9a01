import FlotillaAPI
import Hummingbird
import NodeCore
import TaskQueue

/// `/v1/tasks`: the replicated task queue.
struct TaskRoutes {
    let api: NodeAPI

    /// The most tasks (or keys) one page holds.
    static let maxLimit = 1_000

    /// `GET /v1/tasks?state=&node=&limit=&after=&order=[&consistency=linearizable]` and `GET /v1/tasks/{id}`.
    var reads: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get(use: list)
        routes.get(":id") { _, context in
            let id = try context.parameter("id")
            guard let task = await api.task(id) else {
                if await api.wasRemoved(id) {
                    throw APIError("no task \(id): it finished and the retention policy removed it", code: .notFound)
                }
                throw APIError("no task \(id)", code: .notFound)
            }
            return Response.json(task)
        }
        return routes
    }

    /// `GET /v1/keys?after=&limit=`: the remembered keys of removed tasks, a page at a time.
    var keys: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get { request, _ in
            let limit = try request.integer("limit", default: 100, in: 1...Self.maxLimit)
            let after = try request.integer("after", default: -1, in: -1...Int.max - 1)
            var page = await api.removedKeys(from: after + 1, limit: limit)
            if page.next != nil, !page.keys.isEmpty { page.next = page.next! - 1 }
            return Response.json(page)
        }
        return routes
    }

    /// Submits, cancels and the workers' reports: the leader's to propose.
    var writes: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.post { request, context in
            let result = try await api.submit(try await request.decode(as: TaskSubmission.self, context: context))
            return Response.json(body: result.json, status: result.duplicate ? .ok : .created)
        }
        routes.post(":id/cancel", use: cancel)
        routes.post(":id/report", use: report)
        return routes
    }

    func list(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let limit = try request.integer("limit", default: 100, in: 1...Self.maxLimit)
        let state = try request.query("state").map(Self.state)
        let after = try request.query("after").map(Self.cursor)
        let ascending: Bool
        switch request.query("order") {
        case nil, "desc": ascending = false
        case "asc": ascending = true
        case let other?: throw APIError("order must be asc or desc (got \"\(other.prefix(40))\")", code: .badRequest)
        }
        switch request.query("consistency") {
        case nil, "local":
            break
        case "linearizable":
            // Only the leader can confirm a read; a node with the planted stale-read bug answers anyway.
            if api.status.role != .leader, api.config.plantedBug != .staleReads { return try LeaderRedirectMiddleware.redirect(request, api: api) }
            try await api.linearizableRead()
        case let other?:
            throw APIError("consistency must be local or linearizable (got \"\(other.prefix(40))\")", code: .badRequest)
        }
        return .json(await api.tasks(state: state, node: request.query("node"), limit: limit, after: after, ascending: ascending))
    }

    /// The `after` cursor: a task id (`t-N`), else a 400.
    static func cursor(_ raw: String) throws(APIError) -> String {
        guard FlotillaAPI.TaskView.number(of: raw) != nil else {
            throw APIError("after must be a task id such as t-42, the next of the previous page (got \"\(raw.prefix(40))\")", code: .badRequest)
        }
        return raw
    }

    /// The `state` filter: a state this version knows, else a 400 naming them.
    static func state(_ raw: String) throws(APIError) -> FlotillaAPI.TaskState {
        let state = FlotillaAPI.TaskState.named(raw)
        guard state.isKnown else {
            throw APIError("state must be \(FlotillaAPI.TaskState.knownList) (got \"\(raw.prefix(40))\")", code: .badRequest)
        }
        return state
    }

    /// Refused here rather than committed as a rejection: bad input stays out of the log.
    func cancel(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let id = try context.parameter("id")
        guard let task = await api.task(id) else { throw APIError("no task \(id)", code: .notFound) }
        if task.state.isFinal {
            throw APIError("cannot cancel \(id): it already \(task.state == .cancelled ? "was cancelled" : "finished (\(task.state))")", code: .conflict)
        }
        let effects = try await api.propose(.cancel(task: id, at: wallClockMs()))
        if case .rejected(let why)? = effects.first { throw APIError("cannot cancel \(id): \(why)", code: .conflict) }
        return .json(OperationResult(message: "\(id) cancelled"))
    }

    /// A worker's report that it started, finished or failed a task it was assigned.
    func report(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let id = try context.parameter("id")
        let report = try await request.decode(as: TaskReport.self, context: context)
        let command = try report.command(task: id, at: wallClockMs())
        guard await api.task(id) != nil else { throw APIError("no task \(id)", code: .notFound) }
        let effects = try await api.propose(command)
        if case .rejected(let why)? = effects.first { throw APIError("report for \(id) rejected: \(why)", code: .conflict) }
        return .json(OperationResult(message: "recorded"))
    }
}
