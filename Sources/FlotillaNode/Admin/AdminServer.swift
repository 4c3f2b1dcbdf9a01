import FlotillaAPI
import Hummingbird

/// The HTTP/JSON admin API: one route collection per resource, and the policy of who may call
/// what as middleware on `/v1`. Every error is `{"error", "code"}` with a 4xx/5xx status;
/// mutations need the cluster token when the node has one; writes sent to a follower answer
/// 307 with the leader's address; the admin API itself is never fault-filtered.
struct AdminServer {
    let api: NodeAPI
    /// The largest request body decoded; a larger one answers 413.
    static let maxBody = 1 << 20
    /// The HTTP decoder's limits: one header field, all of a request's headers, and how many
    /// there may be. Past them the request is answered 431 (`FramingErrorAnswer`).
    static let maxHeaderFieldBytes = 16 * 1024
    static let maxHeaderBytes = 64 * 1024
    static let maxHeaderCount = 200
    /// Each admin connection's kernel send buffer (Linux doubles it): what a client that does not
    /// read can leave queued in the kernel, beside the 64 KiB NIO holds before it stops writing.
    static let socketSendBuffer = 64 * 1024
    /// The longest a status long-poll may wait.
    static let maxStatusWaitMs = 10_000

    /// The router the node serves (and the tests drive in process).
    func router() -> Router<AdminRequestContext> {
        let router = Router(context: AdminRequestContext.self)
        // First, so it wraps every route and the answer to an unmatched request.
        router.add(middleware: JSONErrorMiddleware())
        // A frozen node answers nothing, reads included, until it thaws.
        router.add(middleware: FreezeMiddleware(freeze: api.freeze))
        let health = HealthRoutes(api: api)
        let members = MemberRoutes(api: api)
        let tasks = TaskRoutes(api: api)
        let faults = FaultRoutes(api: api)
        let events = EventRoutes(api: api)
        router.addRoutes(health.metrics, atPath: "metrics")

        let v1 = router.group("v1")
        // What the node publishes after every batch: readable at any time, while it drains too.
        v1.addRoutes(health.health, atPath: "health")
        v1.addRoutes(StatusRoutes(api: api).status, atPath: "status")
        v1.addRoutes(members.reads, atPath: "members")
        v1.addRoutes(faults.reads, atPath: "faults")
        v1.addRoutes(faults.traffic, atPath: "links")
        v1.addRoutes(events.stream, atPath: "events")

        // Refused while the node drains; mutations need the token.
        let admitted = v1.group()
            .add(middleware: DrainMiddleware(api: api))
            .add(middleware: TokenMiddleware(token: api.config.token))
        // Task lists can be megabytes: a bounded number are built and sent at once.
        admitted.group().add(middleware: AnswerSlotsMiddleware(slots: api.answerSlots, builders: api.answerBuilders)).addRoutes(tasks.reads, atPath: "tasks")
        admitted.addRoutes(tasks.keys, atPath: "keys")
        admitted.addRoutes(LogRoutes(api: api).hash, atPath: "log")
        admitted.addRoutes(events.recent, atPath: "events")
        admitted.addRoutes(members.bootstrap, atPath: "bootstrap")
        admitted.addRoutes(faults.writes, atPath: "faults")
        let processFaults = ProcessFaultRoutes(api: api)
        admitted.addRoutes(processFaults.crash, atPath: "faults/crash")
        admitted.addRoutes(processFaults.freeze, atPath: "faults/freeze")

        // Writes only the leader takes: a follower answers them with a redirect.
        let leaderOnly = admitted.group().add(middleware: LeaderRedirectMiddleware(api: api))
        leaderOnly.addRoutes(tasks.writes, atPath: "tasks")
        leaderOnly.addRoutes(members.writes, atPath: "members")
        leaderOnly.addRoutes(LeaderRoutes(api: api).transfer, atPath: "leader")

        // Last, so it wraps only the answer to a request no route matched.
        router.add(middleware: NoRouteMiddleware(routes: router.routes.map { ($0.path, $0.method) }))
        return router
    }
}
