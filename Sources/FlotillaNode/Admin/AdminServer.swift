import FlotillaAPI
import NodeCore
import Foundation
import Hummingbird
import NIOCore
import PeerTransport
import RaftCore
import TaskQueue

/// The HTTP/JSON admin API. Every error is `{"error", "code"}` with a 4xx/5xx status;
/// mutations need the cluster token when the node has one; writes sent to a follower
/// answer 307 with the leader's address; the admin API itself is never fault-filtered.
struct AdminServer {
    let api: NodeAPI
    static let maxBody = 1 << 20
    /// The longest a status long-poll may wait.
    static let maxStatusWaitMs = 10_000

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        // First, so it wraps every route and the not-found answer.
        router.add(middleware: JSONErrorMiddleware())
        router.get("/v1/health") { _, _ in json(OperationResult(message: "ok")) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: api.metrics.text())))
        }
        // A conditional GET: with `If-None-Match` naming the current tag the answer is 304, and
        // `?wait=MS` holds it until the status changes or MS pass. Watchers long-poll this way;
        // `&pace=MS` holds even a changed status that long, so a busy node answers a watcher
        // at most once per pace. Readable while the node drains, like every GET of its state.
        router.get("/v1/status") { request, _ in
            let wait: Int, pace: Int
            do {
                let query = request.uri.queryParameters
                wait = try intParameter(query["wait"].map(String.init), "wait", default: 0, in: 0...AdminServer.maxStatusWaitMs)
                pace = try intParameter(query["pace"].map(String.init), "pace", default: 0, in: 0...AdminServer.maxStatusWaitMs)
            } catch let e as APIError {
                return json(e, status: .badRequest)
            }
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
            var response = json(status)
            response.headers[.eTag] = tag
            return response
        }
        router.get("/v1/members") { _, _ in
            let s = api.status
            return json(MemberList(members: s.members, leader: s.leader, pending: s.role == "leader" ? api.pendingJoins.all : nil))
        }
        router.post("/v1/members") { request, context in
            try await guarded(request, write: true) {
                let join = try await decode(JoinRequest.self, request)
                if try await api.join(join) {
                    return json(OperationResult(message: "\(join.id) added as a learner"), status: .created)
                }
                return json(OperationResult(message: "\(join.id) is waiting for an operator's approval"), status: .accepted)
            }
        }
        router.post("/v1/members/:id/approve") { request, context in
            try await guarded(request, write: true) {
                let id = try param(context, "id")
                try await api.decide(id, approve: true)
                return json(OperationResult(message: "\(id) approved and added as a learner"))
            }
        }
        router.post("/v1/members/:id/deny") { request, context in
            try await guarded(request, write: true) {
                let id = try param(context, "id")
                try await api.decide(id, approve: false)
                return json(OperationResult(message: "the join of \(id) was denied"))
            }
        }
        router.post("/v1/bootstrap") { request, _ in
            try await guarded(request, write: true, leaderOnly: false) {
                try await api.bootstrap(try await decode(BootstrapRequest.self, request))
                return json(OperationResult(message: "bootstrapped"), status: .created)
            }
        }
        router.post("/v1/members/:id/promote") { request, context in
            try await guarded(request, write: true) {
                let id = try param(context, "id")
                _ = try await api.propose(.promote(id))
                return json(OperationResult(message: "\(id) promoted to voter"))
            }
        }
        router.delete("/v1/members/:id") { request, context in
            try await guarded(request, write: true) {
                let id = try param(context, "id")
                _ = try await api.propose(.remove(id))
                return json(OperationResult(message: "\(id) removed"))
            }
        }
        router.post("/v1/leader") { request, _ in
            try await guarded(request, write: true) {
                let body = try await decodeIfPresent(TransferRequest.self, request) ?? TransferRequest()
                let target = try await api.transfer(to: body.to)
                return json(OperationResult(message: "transferring leadership to \(target)"), status: .accepted)
            }
        }
        router.get("/v1/tasks") { request, _ in
            try await guarded(request, write: false) {
                let q = request.uri.queryParameters
                let limit = try intParameter(q["limit"].map(String.init), "limit", default: 100, in: 1...10_000)
                return json(await api.tasks(state: q["state"].map(String.init), node: q["node"].map(String.init), limit: limit))
            }
        }
        router.post("/v1/tasks") { request, _ in
            try await guarded(request, write: true) {
                let submission = try await decode(TaskSubmission.self, request)
                let result = try await api.submit(submission)
                return json(result, status: result.duplicate ? .ok : .created)
            }
        }
        router.get("/v1/tasks/:id") { request, context in
            try await guarded(request, write: false) {
                let id = try param(context, "id")
                guard let task = await api.task(id) else { throw APIError("no task \(id)", code: APIErrorCode.notFound) }
                return json(task)
            }
        }
        router.post("/v1/tasks/:id/cancel") { request, context in
            try await guarded(request, write: true) {
                let id = try param(context, "id")
                // Refused here rather than committed as a rejection: bad input stays out of the log.
                guard let task = await api.task(id) else { throw APIError("no task \(id)", code: APIErrorCode.notFound) }
                if ["succeeded", "failed", "cancelled", "timed-out"].contains(task.state) {
                    throw APIError("cannot cancel \(id): it already \(task.state == "cancelled" ? "was cancelled" : "finished (\(task.state))")", code: APIErrorCode.conflict)
                }
                let effects = try await api.propose(.cancel(task: id, at: wallClockMs()))
                if case .rejected(let why)? = effects.first { throw APIError("cannot cancel \(id): \(why)", code: APIErrorCode.conflict) }
                return json(OperationResult(message: "\(id) cancelled"))
            }
        }
        router.post("/v1/tasks/:id/report") { request, context in
            try await guarded(request, write: true) {
                let id = try param(context, "id")
                let report = try await decode(TaskReport.self, request)
                let command = try report.command(task: id, at: wallClockMs())
                guard await api.task(id) != nil else { throw APIError("no task \(id)", code: APIErrorCode.notFound) }
                let effects = try await api.propose(command)
                if case .rejected(let why)? = effects.first { throw APIError("report for \(id) rejected: \(why)", code: APIErrorCode.conflict) }
                return json(OperationResult(message: "recorded"))
            }
        }
        router.get("/v1/faults") { _, _ in json(api.status.faults) }
        router.put("/v1/faults") { request, _ in
            try await guarded(request, write: true, leaderOnly: false) {
                let spec = try await decode(FaultSpec.self, request)
                if let problem = spec.problem { throw APIError(problem, code: APIErrorCode.badRequest) }
                let rules = FaultRules(drop: Set(spec.drop), direction: FaultRules.Direction(rawValue: spec.direction) ?? .both,
                                       delayMs: spec.delayMs, loss: spec.loss)
                api.transport.setFaults(rules)
                api.events.record("fault", term: api.status.term, "fault rules set: \(rules)")
                await api.driver.republish()
                return json(api.status.faults)
            }
        }
        router.delete("/v1/faults") { request, _ in
            try await guarded(request, write: true, leaderOnly: false) {
                api.transport.setFaults(FaultRules())
                api.events.record("fault", term: api.status.term, "fault rules cleared")
                await api.driver.republish()
                return json(api.status.faults)
            }
        }
        router.get("/v1/log/hash") { request, _ in
            try await guarded(request, write: false) {
                guard let raw = request.uri.queryParameters["index"], let index = UInt64(String(raw)) else {
                    throw APIError("index must be a non-negative integer", code: APIErrorCode.badRequest)
                }
                guard let found = await api.driver.logHash(at: index) else {
                    throw APIError("entry \(index) is not held by this node (compacted or not yet replicated)", code: APIErrorCode.notFound)
                }
                return json(found)
            }
        }
        router.get("/v1/events/recent") { request, _ in
            try await guarded(request, write: false) {
                let limit = try intParameter(request.uri.queryParameters["limit"].map(String.init), "limit", default: 50, in: 1...1000)
                return json(Array(api.events.recentEvents().suffix(limit)))
            }
        }
        router.get("/v1/events") { request, _ in
            let stream = api.events.subscribe()
            let backlog = api.events.recentEvents().suffix(100)
            let body = ResponseBody { writer in
                let encoder = JSONEncoder()
                for e in backlog { try await writer.write(sse(e, encoder)) }
                for await e in stream { try await writer.write(sse(e, encoder)) }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
        }
        return router
    }

    /// Runs `body`, turning every thrown error into a JSON error response; checks the token
    /// for mutations and redirects writes to the leader.
    func guarded(_ request: Request, write: Bool, leaderOnly: Bool = true, _ body: () async throws -> Response) async throws -> Response {
        do {
            if api.shutdown.draining { throw api.shuttingDown }
            if write, let token = api.config.token {
                let given = request.headers[.authorization] ?? ""
                guard given == "Bearer \(token)" else {
                    throw APIError("missing or wrong token: send Authorization: Bearer <cluster token>", code: APIErrorCode.unauthorized)
                }
            }
            if write, leaderOnly, api.status.role != "leader" {
                if let leader = api.redirectTarget {
                    var headers = HTTPFields()
                    headers[.location] = "http://\(leader)\(request.uri.string)"
                    headers[.contentType] = "application/json"
                    let err = APIError("this node is not the leader; the leader is at \(leader)", code: APIErrorCode.notLeader, leader: leader)
                    return Response(status: .temporaryRedirect, headers: headers, body: .init(byteBuffer: encode(err)))
                }
                throw APIError("there is no leader right now; retry shortly", code: APIErrorCode.noLeader)
            }
            return try await body()
        } catch let e as APIError {
            return json(e, status: status(for: e.code))
        } catch is NIOTooManyBytesError {
            return json(APIError("request body over \(AdminServer.maxBody) bytes", code: APIErrorCode.tooLarge), status: .contentTooLarge)
        } catch let e as DecodingError {
            return json(APIError("malformed JSON: \(describe(e))", code: APIErrorCode.badRequest), status: .badRequest)
        }
    }

    func status(for code: String) -> HTTPResponse.Status {
        switch code {
        case APIErrorCode.badRequest: .badRequest
        case APIErrorCode.unauthorized: .unauthorized
        case APIErrorCode.notFound: .notFound
        case APIErrorCode.conflict: .conflict
        case APIErrorCode.tooLarge: .contentTooLarge
        case APIErrorCode.noLeader, APIErrorCode.unavailable, APIErrorCode.notLeader: .serviceUnavailable
        case APIErrorCode.timeout: .gatewayTimeout
        case APIErrorCode.storage: .init(code: 507, reasonPhrase: "Insufficient Storage")
        default: .internalServerError
        }
    }

    /// The body decoded as `T`; an empty body is a 400, like a malformed one.
    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        guard let value = try await decodeIfPresent(type, request, allowEmpty: false) else {
            throw APIError("a JSON body is required", code: APIErrorCode.badRequest)
        }
        return value
    }

    /// The body decoded as `T`, or nil when it is empty (and `allowEmpty`).
    func decodeIfPresent<T: Decodable>(_ type: T.Type, _ request: Request, allowEmpty: Bool = true) async throws -> T? {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > AdminServer.maxBody {
            throw NIOTooManyBytesError(maxBytes: AdminServer.maxBody)
        }
        let buffer = try await request.body.collect(upTo: AdminServer.maxBody)
        if buffer.readableBytes == 0 {
            if allowEmpty { return nil }
            throw APIError("a JSON body is required", code: APIErrorCode.badRequest)
        }
        return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    }

    /// An integer query parameter: absent gives `default`; anything but an integer in `range` is a 400.
    func intParameter(_ raw: String?, _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let raw else { return value }
        guard let n = Int(raw), range.contains(n) else {
            throw APIError("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound) (got \"\(raw.prefix(40))\")", code: APIErrorCode.badRequest)
        }
        return n
    }

    func param(_ context: BasicRequestContext, _ name: String) throws -> String {
        guard let v = context.parameters.get(name) else { throw APIError("missing \(name)", code: APIErrorCode.badRequest) }
        return v
    }
}

func encode<T: Encodable>(_ value: T) -> ByteBuffer {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let data = (try? encoder.encode(value)) ?? Data("{\"error\":\"encoding failed\",\"code\":\"internal\"}".utf8)
    return ByteBuffer(bytes: data)
}

func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: encode(value)))
}

func sse(_ e: NodeEvent, _ encoder: JSONEncoder) -> ByteBuffer {
    let data = (try? encoder.encode(e)) ?? Data()
    return ByteBuffer(string: "id: \(e.seq)\nevent: \(e.kind)\ndata: \(String(decoding: data, as: UTF8.self))\n\n")
}

func describe(_ e: DecodingError) -> String {
    switch e {
    case let .typeMismatch(_, c): "wrong type at \(path(c.codingPath)): \(c.debugDescription)"
    case let .valueNotFound(_, c): "missing value at \(path(c.codingPath))"
    case let .keyNotFound(k, c): "missing field \(path(c.codingPath + [k]))"
    case let .dataCorrupted(c): c.codingPath.isEmpty ? "not valid JSON" : "bad value at \(path(c.codingPath)): \(c.debugDescription)"
    @unknown default: "\(e)"
    }
}

func path(_ keys: [any CodingKey]) -> String {
    keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
}

/// A worker's report on a task it runs: `{"node", "epoch", "outcome": "started|succeeded|failed", "result", "error"}`.
struct TaskReport: Codable, Sendable {
    var node: String
    var epoch: UInt64
    var outcome: String
    var result: String?
    var error: String?

    func command(task: String, at: UInt64) throws(APIError) -> Command {
        switch outcome {
        case "started": return .start(task: task, node: node, epoch: epoch, at: at)
        case "succeeded": return .complete(task: task, node: node, epoch: epoch, result: result ?? "", at: at)
        case "failed": return .fail(task: task, node: node, epoch: epoch, message: error ?? "failed", at: at)
        default: throw APIError("outcome must be started, succeeded or failed", code: APIErrorCode.badRequest)
        }
    }
}

/// The `Member.address` text a join request becomes (slots are learned when the node reports them).
enum MemberAddressText {
    static func encode(raft: String, admin: String, slots: Int = 0) -> String {
        MemberAddress(raft: raft, admin: admin, slots: slots).encoded
    }
}
