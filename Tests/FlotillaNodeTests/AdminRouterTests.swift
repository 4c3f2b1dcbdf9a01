import FlotillaAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport
@testable import FlotillaNode

/// The admin router the node serves, over a real single node in this process: every way a
/// request can be wrong answers a JSON `{"error", "code"}` with its status, and the node goes
/// on serving after each.
@Suite("Admin router")
struct AdminRouterTests {
    /// A request that must fail, and how.
    struct BadRequest: Sendable, CustomStringConvertible {
        var method: HTTPRequest.Method
        var uri: String
        var json: String?
        var headers: HTTPFields = [:]
        var token: String? = InProcessNode.token
        var status: Int
        var code: APIErrorCode
        /// Words the message must contain.
        var says: String = ""

        var description: String { "\(method) \(uri) \(json.map { String($0.prefix(50)) } ?? "")" }
    }

    static let deep = String(repeating: "[", count: 100_000)

    static let badRequests: [BadRequest] = [
        // Bodies the decoder refuses.
        .init(method: .post, uri: "/v1/tasks", json: "", status: 400, code: .badRequest, says: "a JSON body is required"),
        .init(method: .post, uri: "/v1/tasks", status: 400, code: .badRequest, says: "a JSON body is required"),
        .init(method: .post, uri: "/v1/tasks", json: #"{"kind":"#, status: 400, code: .badRequest, says: "malformed JSON: not valid JSON"),
        .init(method: .post, uri: "/v1/tasks", json: #"{"kind":5}"#, status: 400, code: .badRequest, says: "malformed JSON: wrong type at kind"),
        .init(method: .post, uri: "/v1/tasks", json: "{}", status: 400, code: .badRequest, says: "malformed JSON: missing field kind"),
        .init(method: .post, uri: "/v1/tasks", json: #"{"kind":null}"#, status: 400, code: .badRequest, says: "malformed JSON: missing value at kind"),
        .init(method: .post, uri: "/v1/tasks", json: #"{"kind":"echo","args":{"text":5}}"#, status: 400, code: .badRequest, says: "args.text"),
        .init(method: .post, uri: "/v1/tasks", json: "[]", status: 400, code: .badRequest, says: "malformed JSON"),
        .init(method: .post, uri: "/v1/tasks", json: "null", status: 400, code: .badRequest, says: "malformed JSON"),
        .init(method: .post, uri: "/v1/tasks", json: deep, status: 400, code: .badRequest, says: "malformed JSON"),
        .init(method: .post, uri: "/v1/bootstrap", json: #"{"members":[{"id":"n1"}]}"#, status: 400, code: .badRequest,
              says: "missing field members.[0].raftAddress"),
        .init(method: .put, uri: "/v1/faults", json: #"{"drop":[],"delayMs":0,"loss":0}"#, status: 400, code: .badRequest, says: "missing field direction"),
        .init(method: .post, uri: "/v1/tasks", json: String(repeating: " ", count: (1 << 20) + 1), status: 413, code: .tooLarge, says: "over 1048576 bytes"),
        .init(method: .post, uri: "/v1/tasks", headers: [.contentLength: "5000000"], status: 413, code: .tooLarge),
        .init(method: .post, uri: "/v1/tasks", json: #"{"kind":"echo"}"#, headers: [.contentType: "text/plain"], status: 415,
              code: .unsupportedMediaType, says: "Content-Type: application/json"),
        .init(method: .put, uri: "/v1/faults", json: "{}", headers: [.contentType: "application/x-www-form-urlencoded"], status: 415, code: .unsupportedMediaType),
        .init(method: .post, uri: "/v1/leader", headers: [.contentType: "text/html"], status: 415, code: .unsupportedMediaType),
        .init(method: .post, uri: "/v1/tasks", json: #"{"kind":"echo"}"#, headers: [.contentType: "application/jsonp"], status: 415, code: .unsupportedMediaType),
        // Values out of range, and query parameters.
        .init(method: .put, uri: "/v1/faults", json: #"{"drop":[],"direction":"sideways","delayMs":0,"loss":0}"#, status: 400,
              code: .badRequest, says: "direction must be both, in or out (got \"sideways\")"),
        .init(method: .put, uri: "/v1/faults", json: #"{"drop":[],"direction":"both","delayMs":0,"loss":7}"#, status: 400, code: .badRequest),
        .init(method: .put, uri: "/v1/faults", json: #"{"drop":[],"direction":"both","delayMs":0,"loss":0,"links":{"n2":{"reorder":1.5}}}"#,
              status: 400, code: .badRequest, says: "links.n2.reorder must be between 0 and 1"),
        .init(method: .put, uri: "/v1/faults", json: #"{"drop":[],"direction":"both","delayMs":0,"loss":0,"jitterMs":-4}"#, status: 400,
              code: .badRequest, says: "jitterMs must be between 0 and 60000"),
        .init(method: .put, uri: "/v1/faults", json: #"{"drop":[],"direction":"both","delayMs":0,"loss":0,"links":["n2"]}"#, status: 400, code: .badRequest),
        .init(method: .post, uri: "/v1/tasks", json: #"{"kind":"echo","maxAttempts":0}"#, status: 400, code: .badRequest, says: "maxAttempts"),
        .init(method: .post, uri: "/v1/tasks", json: #"{"kind":"shell","args":{"command":"true"}}"#, status: 400, code: .badRequest, says: "--allow-shell"),
        .init(method: .post, uri: "/v1/tasks/t-1/report", json: #"{"node":"n1","epoch":1,"outcome":"exploded"}"#, status: 400, code: .badRequest),
        .init(method: .get, uri: "/v1/tasks?state=lost", status: 400, code: .badRequest,
              says: "state must be queued, assigned, running, succeeded, failed, cancelled or timed-out"),
        .init(method: .get, uri: "/v1/tasks?limit=0", status: 400, code: .badRequest, says: "limit must be an integer from 1 to 1000"),
        .init(method: .get, uri: "/v1/tasks?limit=1001", status: 400, code: .badRequest, says: "limit must be an integer from 1 to 1000"),
        .init(method: .get, uri: "/v1/tasks?after=t-01", status: 400, code: .badRequest, says: "after must be a task id"),
        .init(method: .get, uri: "/v1/tasks?order=sideways", status: 400, code: .badRequest, says: "order must be asc or desc"),
        .init(method: .get, uri: "/v1/keys?after=x", status: 400, code: .badRequest, says: "after must be an integer"),
        .init(method: .get, uri: "/v1/tasks?limit=%F0%9F%9A%80", status: 400, code: .badRequest, says: "🚀"),
        .init(method: .get, uri: "/v1/status?wait=10001", status: 400, code: .badRequest, says: "wait must be"),
        .init(method: .get, uri: "/v1/status?pace=-1", status: 400, code: .badRequest, says: "pace must be"),
        .init(method: .get, uri: "/v1/log/hash?index=-1", status: 400, code: .badRequest, says: "index"),
        .init(method: .get, uri: "/v1/events/recent?limit=many", status: 400, code: .badRequest),
        // Unknown things.
        .init(method: .get, uri: "/v1/tasks/t-999999", status: 404, code: .notFound, says: "no task t-999999"),
        .init(method: .post, uri: "/v1/tasks/t-999999/cancel", status: 404, code: .notFound),
        .init(method: .get, uri: "/v1/log/hash?index=18446744073709551615", status: 404, code: .notFound),
        .init(method: .post, uri: "/v1/leader", json: #"{"to":"n42"}"#, status: 404, code: .notFound),
        .init(method: .get, uri: "/v1/nope", status: 404, code: .notFound, says: "no route GET /v1/nope"),
        .init(method: .get, uri: "/", status: 404, code: .notFound),
        .init(method: .get, uri: "/v2/status", status: 404, code: .notFound),
        .init(method: .get, uri: "/v1/status/extra", status: 404, code: .notFound),
        // Known paths, wrong methods.
        .init(method: .delete, uri: "/v1/status", status: 405, code: .methodNotAllowed, says: "DELETE is not allowed on /v1/status; it takes GET"),
        .init(method: .post, uri: "/v1/tasks/t-1", status: 405, code: .methodNotAllowed),
        .init(method: .patch, uri: "/v1/faults", status: 405, code: .methodNotAllowed),
        .init(method: .get, uri: "/v1/members/n1/promote", status: 405, code: .methodNotAllowed),
        .init(method: .post, uri: "/metrics", status: 405, code: .methodNotAllowed),
        // The token.
        .init(method: .post, uri: "/v1/tasks", json: #"{"kind":"echo"}"#, token: nil, status: 401, code: .unauthorized, says: "Authorization: Bearer"),
        .init(method: .post, uri: "/v1/tasks", json: #"{"kind":"echo"}"#, token: "wrong", status: 401, code: .unauthorized),
        .init(method: .delete, uri: "/v1/faults", token: nil, status: 401, code: .unauthorized),
        .init(method: .post, uri: "/v1/bootstrap", json: "{}", token: "wrong", status: 401, code: .unauthorized),
        // Refusals by state.
        .init(method: .post, uri: "/v1/bootstrap", json: #"{"members":[{"id":"n1","raftAddress":"127.0.0.1:1","adminAddress":"127.0.0.1:2","voter":true}]}"#,
              status: 409, code: .conflict),
        .init(method: .post, uri: "/v1/leader", status: 409, code: .conflict, says: "no other voter"),
    ]

    @Test func everyBadRequestAnswersItsJSONErrorAndTheNodeKeepsServing() async throws {
        try await withNode { node in
            try await node.application().test(.router) { client in
                let before = node.api.status
                for bad in Self.badRequests {
                    let r = try await client.send(bad.method, bad.uri, json: bad.json, token: bad.token, headers: bad.headers)
                    #expect(Int(r.status.code) == bad.status, "\(bad): \(r.status.code) \(r.text.prefix(300))")
                    #expect(r.headers[.contentType] == "application/json", "\(bad)")
                    let e = r.apiError
                    #expect(e?.code == bad.code && e?.error.isEmpty == false, "\(bad): \(r.text.prefix(300))")
                    #expect(bad.says.isEmpty || e?.error.contains(bad.says) == true, "\(bad): \(e?.error ?? r.text) does not say \(bad.says)")
                    let status = try await client.send(.get, "/v1/status")
                    #expect(status.status == .ok, "after \(bad)")
                }
                #expect(node.api.status.commit == before.commit, "nothing reached the log")
                let ok = try await client.send(.post, "/v1/tasks", json: #"{"kind":"echo","key":"after-the-abuse"}"#)
                #expect(ok.status == .created, "\(ok.text)")
                #expect(try ok.decode(SubmitResult.self).duplicate == false)
            }
        }
    }

    @Test func aWrongMethodOnAKnownPathNamesTheAllowedOnes() async throws {
        try await withNode { node in
            try await node.application().test(.router) { client in
                for (method, uri, allow) in [(HTTPRequest.Method.delete, "/v1/status", "GET"), (.put, "/v1/tasks", "GET, POST"),
                                             (.post, "/v1/faults", "DELETE, GET, PUT"), (.get, "/v1/tasks/t-1/cancel", "POST"),
                                             (.put, "/v1/members/n1", "DELETE"), (.head, "/v1/health", "GET")] {
                    let r = try await client.send(method, uri)
                    #expect(r.status == .methodNotAllowed && r.headers[.allow] == allow, "\(method) \(uri): \(r.headers[.allow] ?? "no Allow")")
                }
            }
        }
    }

    @Test func aJSONContentTypeMayCarryParametersAndMayBeLeftOut() async throws {
        try await withNode { node in
            try await node.application().test(.router) { client in
                for (i, contentType) in ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8", nil].enumerated() {
                    var headers: HTTPFields = [.authorization: "Bearer \(InProcessNode.token)"]
                    if let contentType { headers[.contentType] = contentType }
                    let r = try await client.execute(uri: "/v1/tasks", method: .post, headers: headers,
                                                     body: ByteBuffer(string: #"{"kind":"echo","key":"ct-\#(i)"}"#))
                    #expect(r.status == .created, "\(contentType ?? "no Content-Type"): \(r.text)")
                }
            }
        }
    }

    @Test func mutationsNeedTheTokenAndReadsDoNot() async throws {
        try await withNode { node in
            try await node.application().test(.router) { client in
                for token in [nil, "wrong", "Bearer \(InProcessNode.token)"] {
                    let r = try await client.send(.post, "/v1/tasks", json: #"{"kind":"echo","key":"tok"}"#, token: token)
                    #expect(r.status == .unauthorized && r.apiError?.code == .unauthorized, "\(token ?? "none")")
                }
                #expect(try await client.send(.post, "/v1/tasks", json: #"{"kind":"echo","key":"tok"}"#).status == .created)
                for uri in ["/v1/status", "/v1/members", "/v1/tasks", "/v1/faults", "/v1/health", "/v1/events/recent", "/metrics"] {
                    #expect(try await client.send(.get, uri, token: nil).status == .ok, "\(uri)")
                }
            }
        }
        try await withNode(token: nil) { node in
            try await node.application().test(.router) { client in
                let r = try await client.send(.post, "/v1/tasks", json: #"{"kind":"echo"}"#, token: nil)
                #expect(r.status == .created)
            }
        }
    }

    @Test func aDrainingNodeRefusesWritesAndTaskReadsButPublishesItsState() async throws {
        try await withNode { node in
            node.api.shutdown.begin()
            try await node.application().test(.router) { client in
                for (method, uri, json) in [(HTTPRequest.Method.post, "/v1/tasks", #"{"kind":"echo"}"#), (.put, "/v1/faults", #"{"drop":[],"direction":"both","delayMs":0,"loss":0}"#),
                                            (.post, "/v1/bootstrap", "{}"), (.get, "/v1/tasks", nil), (.get, "/v1/log/hash?index=1", nil)] {
                    let r = try await client.send(method, uri, json: json)
                    #expect(r.status == .serviceUnavailable && r.apiError?.code == .unavailable && r.apiError?.error.contains("shutting down") == true,
                            "\(method) \(uri): \(r.status) \(r.text)")
                }
                for uri in ["/v1/status", "/v1/members", "/v1/faults", "/v1/health", "/metrics"] {
                    #expect(try await client.send(.get, uri).status == .ok, "\(uri) stays readable")
                }
            }
        }
    }

    @Test func aNodeWithoutALeaderAnswers503ButTakesABootstrap() async throws {
        try await withNode(founder: false) { node in
            try await node.application().test(.router) { client in
                let r = try await client.send(.post, "/v1/tasks", json: #"{"kind":"echo"}"#)
                #expect(r.status == .serviceUnavailable && r.apiError?.code == .noLeader, "\(r.text)")
                let founders = BootstrapRequest(members: [MemberInfo(id: node.config.id, raftAddress: node.config.raftAddress,
                                                                      adminAddress: node.config.adminAddress, voter: true)])
                let boot = try await client.send(.post, "/v1/bootstrap", json: String(decoding: try JSONEncoder().encode(founders), as: UTF8.self))
                #expect(boot.status == .created, "\(boot.text)")
                try await node.waitUntilLeader()
                #expect(try await client.send(.post, "/v1/tasks", json: #"{"kind":"echo"}"#).status == .created)
            }
        }
    }

    /// A real follower: a second node, uninitialized, added by the leader as a learner. Writes
    /// sent to it answer 307 naming the leader; what any node takes (faults, reads) it serves.
    @Test func aFollowerRedirectsWritesToTheLeader() async throws {
        try await withNode { leader in
            try await withNode(id: "n2", founder: false) { follower in
                try await leader.application().test(.router) { client in
                    let join = JoinRequest(id: "n2", raftAddress: follower.config.raftAddress, adminAddress: follower.config.adminAddress)
                    let r = try await client.send(.post, "/v1/members", json: String(decoding: try JSONEncoder().encode(join), as: UTF8.self))
                    #expect(r.status == .created, "\(r.text)")
                }
                follower.runtime.inbox.push(.peerHints([leader.config.id: leader.config.raftAddress]))
                try await eventually("n2 to follow n1 as a learner", timeout: .seconds(20)) {
                    let s = follower.api.status
                    return s.role == .learner && s.leader == leader.config.id && s.members.count == 2
                }
                try await follower.application().test(.router) { client in
                    let r = try await client.send(.post, "/v1/tasks?x=1", json: #"{"kind":"echo"}"#)
                    #expect(r.status == .temporaryRedirect)
                    #expect(r.headers[.location] == "http://\(leader.config.adminAddress)/v1/tasks?x=1")
                    #expect(r.apiError?.code == .notLeader && r.apiError?.leader == leader.config.adminAddress, "\(r.text)")
                    let promote = try await client.send(.post, "/v1/members/n2/promote")
                    #expect(promote.status == .temporaryRedirect)
                    let unauthorized = try await client.send(.post, "/v1/tasks", json: #"{"kind":"echo"}"#, token: "wrong")
                    #expect(unauthorized.status == .unauthorized, "the token is checked before the redirect")
                    let faults = try await client.send(.put, "/v1/faults", json: #"{"drop":["n1"],"direction":"in","delayMs":0,"loss":0}"#)
                    #expect(faults.status == .ok && (try? faults.decode(FaultSpec.self))?.direction == .in, "\(faults.text)")
                    #expect(try await client.send(.delete, "/v1/faults").status == .ok)
                    #expect(try await client.send(.get, "/v1/tasks").status == .ok)
                }
            }
        }
    }
}
