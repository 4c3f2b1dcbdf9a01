import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Real `flotilla node` processes on 127.0.0.1: each test starts its own cluster.
@Suite("Node processes", .serialized)
struct NodeScenarioTests {
    @Test func threeNodesElectOneLeaderAndAgree() async throws {
        try await withCluster { c in
            let leader = try await c.waitForLeader()
            let v = await c.view()
            let statuses = v.live
            #expect(statuses.count == 3)
            #expect(statuses.filter { $0.role == .leader }.count == 1)
            #expect(Set(statuses.map(\.term)) == [leader.term])
            #expect(statuses.allSatisfy { $0.members.count == 3 && $0.clusterID == c.spec.clusterID })
        }
    }

    @Test func submitToAFollowerIsRedirectedAndRuns() async throws {
        try await withCluster { c in
            let leader = try await c.waitForLeader()
            let follower = c.spec.nodes.first { $0.id != leader.id }!
            let body = try JSONEncoder().encode(TaskSubmission(kind: "echo", args: ["text": "hi"], key: "k-redirect"))
            let raw = try await rawRequest("POST", "http://\(follower.adminAddress)/v1/tasks", body: body, token: c.token)
            #expect(raw.status == 307)
            #expect(raw.headers["location"] == "http://\(leader.adminAddress)/v1/tasks")
            // The typed client follows the redirect; the task runs to success somewhere.
            let result: SubmitResult = try await c.client.call("POST", follower.adminAddress, "/v1/tasks",
                                                               body: TaskSubmission(kind: "echo", args: ["text": "hi"], key: "k-redirect"))
            #expect(result.duplicate == false)
            let again: SubmitResult = try await c.client.call("POST", leader.adminAddress, "/v1/tasks",
                                                              body: TaskSubmission(kind: "echo", args: ["text": "hi"], key: "k-redirect"))
            #expect(again == SubmitResult(id: result.id, duplicate: true))
            let deadline = ContinuousClock.now + .seconds(20)
            var task: TaskView = try await c.client.call("GET", leader.adminAddress, "/v1/tasks/\(result.id)")
            while task.state != .succeeded, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                task = try await c.client.call("GET", leader.adminAddress, "/v1/tasks/\(result.id)")
            }
            #expect(task.state == .succeeded, "\(task)\n\(c.logs())")
            #expect(task.result == "hi")
        }
    }

    @Test func badRequestsGetJSONErrorsAndTheNodeKeepsServing() async throws {
        try await withCluster { c in
            let leader = try await c.waitForLeader()
            let base = "http://\(leader.adminAddress)"
            let noToken = try await rawRequest("POST", "\(base)/v1/tasks", body: Data("{\"kind\":\"echo\"}".utf8))
            #expect(noToken.status == 401)
            #expect(try JSONDecoder().decode(APIError.self, from: noToken.body).code == .unauthorized)
            let wrongToken = try await rawRequest("POST", "\(base)/v1/tasks", body: Data("{\"kind\":\"echo\"}".utf8), token: "nope")
            #expect(wrongToken.status == 401)
            let malformed = try await rawRequest("POST", "\(base)/v1/tasks", body: Data("{\"kind\":".utf8), token: c.token)
            #expect(malformed.status == 400)
            #expect(try JSONDecoder().decode(APIError.self, from: malformed.body).code == .badRequest)
            let wrongType = try await rawRequest("POST", "\(base)/v1/tasks", body: Data("{\"kind\": 5}".utf8), token: c.token)
            #expect(wrongType.status == 400)
            let shell = try await rawRequest("POST", "\(base)/v1/tasks", body: Data("{\"kind\":\"shell\",\"args\":{\"command\":\"true\"}}".utf8), token: c.token)
            #expect(shell.status == 400)
            #expect(String(decoding: shell.body, as: UTF8.self).contains("--allow-shell"))
            let huge = try await rawRequest("POST", "\(base)/v1/tasks", body: Data(repeating: 0x20, count: (1 << 20) + 10), token: c.token)
            #expect(huge.status == 413)
            let missing = try await rawRequest("GET", "\(base)/v1/tasks/t-999999")
            #expect(missing.status == 404)
            let health = try await rawRequest("GET", "\(base)/v1/health")
            #expect(health.status == 200)
        }
    }

    /// Abuse of every kind, each answered by a 4xx/5xx JSON error `{"error","code"}`; the node keeps serving and nothing reaches the log.
    @Test func malformedHostileAndUnknownRequestsGetJSONErrorsAndNothingReachesTheLog() async throws {
        // One node: no election can move the leader (and add an entry) while the abuse runs, as
        // one did on a machine starved by other builds (the old leader answered 307).
        try await withCluster(nodes: 1) { c in
            let leader = try await c.waitForLeader()
            let base = "http://\(leader.adminAddress)"
            // The new leader's own first entry may still be on its way to a commit.
            try await eventually("the leader to commit all it holds", timeout: .seconds(5)) {
                guard let s = try? await c.client.status(leader.adminAddress) else { return false }
                return s.commit == s.lastIndex
            }
            let before = try await c.client.status(leader.adminAddress)
            let deep = String(repeating: "[", count: 100_000)
            let cases: [(String, String, String?, Bool, Int, String)] = [
                // method, path, body, with token, expected status, expected code
                ("GET", "/v1/nope", nil, false, 404, "not-found"),
                ("GET", "/", nil, false, 404, "not-found"),
                ("DELETE", "/v1/status", nil, true, 405, "method-not-allowed"),
                ("POST", "/v1/tasks", #"{"kind":"echo","maxAttempts":0}"#, true, 400, "bad-request"),
                ("POST", "/v1/tasks", #"{"kind":"echo","maxAttempts":-3}"#, true, 400, "bad-request"),
                ("POST", "/v1/tasks", #"{"kind":"echo","maxAttempts":99999999999999999999}"#, true, 400, "bad-request"),
                ("POST", "/v1/tasks", #"{"kind":"echo","timeoutMs":-1}"#, true, 400, "bad-request"),
                ("POST", "/v1/tasks", #"{"kind":"echo","timeoutMs":1e400}"#, true, 400, "bad-request"),
                ("POST", "/v1/tasks", #"{"kind":"echo","key":""}"#, true, 400, "bad-request"),
                ("POST", "/v1/tasks", #"{"kind":["echo"]}"#, true, 400, "bad-request"),
                ("POST", "/v1/tasks", #"{"kind":"echo","args":{"text":5}}"#, true, 400, "bad-request"),
                ("POST", "/v1/tasks", "[]", true, 400, "bad-request"),
                ("POST", "/v1/tasks", "null", true, 400, "bad-request"),
                ("POST", "/v1/tasks", deep, true, 400, "bad-request"),
                ("POST", "/v1/tasks", "\u{FEFF}{\"kind\u{0}\": \"echo\"", true, 400, "bad-request"),
                ("POST", "/v1/members", #"{"id":"n9","raftAddress":"1.2.3.4:1 admin=5.6.7.8:9","adminAddress":"127.0.0.1:1"}"#, true, 400, "bad-request"),
                ("POST", "/v1/members", #"{"id":"bad id","raftAddress":"127.0.0.1:1","adminAddress":"127.0.0.1:2"}"#, true, 400, "bad-request"),
                ("POST", "/v1/members", #"{"id":"n9","raftAddress":"127.0.0.1:1","adminAddress":"127.0.0.1:2","slots":-1}"#, true, 400, "bad-request"),
                ("PUT", "/v1/faults", #"{"drop":[],"direction":"sideways","delayMs":0,"loss":0}"#, true, 400, "bad-request"),
                ("PUT", "/v1/faults", #"{"drop":[],"direction":"both","delayMs":10000000000,"loss":0}"#, true, 400, "bad-request"),
                ("PUT", "/v1/faults", #"{"drop":[],"direction":"both","delayMs":0,"loss":7}"#, true, 400, "bad-request"),
                ("GET", "/v1/tasks?limit=99999999999999999999", nil, false, 400, "bad-request"),
                ("GET", "/v1/tasks?limit=-1", nil, false, 400, "bad-request"),
                ("GET", "/v1/log/hash?index=18446744073709551616", nil, false, 400, "bad-request"),
                ("GET", "/v1/log/hash?index=18446744073709551615", nil, false, 404, "not-found"),
                ("GET", "/v1/log/hash", nil, false, 400, "bad-request"),
                ("POST", "/v1/tasks/t-1/report", #"{"node":"n1","epoch":1,"outcome":"exploded"}"#, true, 400, "bad-request"),
                ("POST", "/v1/tasks/t-999999/cancel", nil, true, 404, "not-found"),
                ("POST", "/v1/tasks/t-999999/report", #"{"node":"n1","epoch":1,"outcome":"started"}"#, true, 404, "not-found"),
                ("GET", "/v1/events/recent?limit=many", nil, false, 400, "bad-request"),
                ("POST", "/v1/leader", #"{"to":"n42"}"#, true, 404, "not-found"),
                ("POST", "/v1/bootstrap", #"{"members":[]}"#, true, 400, "bad-request"),
            ]
            for (method, path, body, auth, status, code) in cases {
                let r = try await rawRequest(method, base + path, body: body.map { Data($0.utf8) }, token: auth ? c.token : nil)
                let what = "\(method) \(path) \(body.map { String($0.prefix(60)) } ?? "")"
                #expect(r.status == status, "\(what): \(r.status) \(String(decoding: r.body.prefix(300), as: UTF8.self))")
                let e = try? JSONDecoder().decode(APIError.self, from: r.body)
                #expect(e?.code.rawValue == code && e?.error.isEmpty == false, "\(what): \(String(decoding: r.body.prefix(300), as: UTF8.self))")
                #expect(r.headers["content-type"]?.hasPrefix("application/json") == true, "\(what)")
            }
            // Invalid UTF-8, and a body over the limit sent without a length (chunked).
            let garbage = try await rawRequest("POST", "\(base)/v1/tasks", body: Data([0x7B, 0xFF, 0xFE, 0x22, 0xC0, 0x80, 0x7D]), token: c.token)
            #expect(garbage.status == 400 && (try? JSONDecoder().decode(APIError.self, from: garbage.body))?.code == .badRequest)
            let chunked = try await chunkedRequest("\(base)/v1/tasks", bytes: (1 << 20) + 4096, token: c.token)
            #expect(chunked.status == 413 && (try? JSONDecoder().decode(APIError.self, from: chunked.body))?.code == .tooLarge,
                    "\(chunked.status) \(String(decoding: chunked.body.prefix(200), as: UTF8.self))")
            // The node still serves, and none of it reached the log.
            let health = try await rawRequest("GET", "\(base)/v1/health")
            #expect(health.status == 200)
            let after = try await c.client.status(leader.adminAddress)
            #expect(after.commit == before.commit && after.tasks.byState.values.reduce(0, +) == 0, "commit \(before.commit) -> \(after.commit), tasks \(after.tasks.byState)")
            let ok: SubmitResult = try await c.client.call("POST", leader.adminAddress, "/v1/tasks", body: TaskSubmission(kind: "echo", key: "still-fine"))
            #expect(ok.duplicate == false)
            #expect(await c.view().live.count == 1)
        }
    }

    /// A write waiting for its commit when the node gets SIGTERM is answered at once: 503 JSON, "shutting down".
    /// Writes here wait a minute for an outcome, so only the shutdown can answer this one in time.
    @Test func aWriteInFlightWhenTheNodeShutsDownGetsA503JSONError() async throws {
        try await withCluster(nodeArgs: ["--slots", "2", "--proposal-timeout-ms", "60000"]) { c in
            let leader = try await c.waitForLeader()
            // Cut the leader off so its write can never commit, and send one.
            _ = try await c.control.isolate(leader.id)
            let body = Data(#"{"kind":"echo","key":"in-flight"}"#.utf8)
            let write = Task { try await rawRequest("POST", "http://\(leader.adminAddress)/v1/tasks", body: body, token: c.token) }
            try await eventually("the write to be appended and waiting", timeout: .seconds(5)) {
                guard let s = try? await c.client.status(leader.adminAddress) else { return false }
                return s.lastIndex > s.commit
            }
            #expect(c.launcher.signal(c.node(leader.id), SIGTERM))
            let r = try await write.value
            let e = try? JSONDecoder().decode(APIError.self, from: r.body)
            #expect(r.status == 503 && e?.code == .unavailable && e?.error.contains("shutting down") == true,
                    "\(r.status) \(String(decoding: r.body, as: UTF8.self))")
            #expect(await c.launcher.stop(c.node(leader.id), grace: .seconds(10)), "the node exits")
            // The others go on.
            _ = await c.control.heal(timeout: .seconds(2))
            let next = try await c.waitForLeader(excluding: leader.id)
            let _: SubmitResult = try await c.client.call("POST", next.adminAddress, "/v1/tasks", body: TaskSubmission(kind: "echo", key: "after"))
        }
    }

    @Test func leaderKilledANewLeaderTakesOverAndTheOldOneCatchesUp() async throws {
        try await withCluster { c in
            let first = try await c.waitForLeader()
            for i in 0..<5 {
                let _: SubmitResult = try await c.client.call("POST", first.adminAddress, "/v1/tasks",
                                                              body: TaskSubmission(kind: "sleep", args: ["ms": "10"], key: "before-\(i)"))
            }
            #expect(c.launcher.signal(c.node(first.id), SIGKILL))
            let second = try await c.waitForLeader(excluding: first.id)
            #expect(second.term > first.term)
            for i in 0..<5 {
                let _: SubmitResult = try await c.client.call("POST", second.adminAddress, "/v1/tasks",
                                                              body: TaskSubmission(kind: "sleep", args: ["ms": "10"], key: "after-\(i)"))
            }
            try c.launcher.start(c.node(first.id), spec: c.spec)
            let v = try await c.waitFor("the restarted node to catch up") { v in
                guard let l = v.leader, let old = v.node(first.id)?.live else { return false }
                return old.applied >= l.commit && old.leader == l.id
            }
            let statuses = v.live
            #expect(statuses.count == 3)
            // Every submit is there exactly once, and each runs to one recorded success.
            let deadline = ContinuousClock.now + .seconds(30)
            var tasks: TaskList = try await c.client.call("GET", second.adminAddress, "/v1/tasks?limit=100")
            while tasks.tasks.contains(where: { $0.state != .succeeded }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                tasks = try await c.client.call("GET", second.adminAddress, "/v1/tasks?limit=100")
            }
            #expect(Set(tasks.tasks.map(\.key)) == Set((0..<5).map { "before-\($0)" } + (0..<5).map { "after-\($0)" }))
            #expect(tasks.total == 10)
            #expect(tasks.tasks.allSatisfy { $0.state == .succeeded }, "\(tasks.tasks.map { "\($0.id) \($0.state) \($0.node ?? "-")" })")
            // The status is published at most once a tick: it may trail the task list by a moment.
            try await eventually("the status to count 10 successes") {
                (try? await c.client.status(second.adminAddress))?.tasks.byState[.succeeded] == 10
            }
        }
    }
}
