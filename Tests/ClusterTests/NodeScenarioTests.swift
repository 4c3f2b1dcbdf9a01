import FlotillaAPI
import Foundation
import Orchestrator
import Testing

/// Real `flotilla node` processes on 127.0.0.1: each test starts its own cluster.
@Suite("Node processes", .serialized)
struct NodeScenarioTests {
    @Test func threeNodesElectOneLeaderAndAgree() async throws {
        try await withCluster { c in
            let leader = try await c.waitForLeader()
            let v = await c.view()
            let statuses = v.live
            #expect(statuses.count == 3)
            #expect(statuses.filter { $0.role == "leader" }.count == 1)
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
            while task.state != "succeeded", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                task = try await c.client.call("GET", leader.adminAddress, "/v1/tasks/\(result.id)")
            }
            #expect(task.state == "succeeded", "\(task)\n\(c.logs())")
            #expect(task.result == "hi")
        }
    }

    @Test func badRequestsGetJSONErrorsAndTheNodeKeepsServing() async throws {
        try await withCluster { c in
            let leader = try await c.waitForLeader()
            let base = "http://\(leader.adminAddress)"
            let noToken = try await rawRequest("POST", "\(base)/v1/tasks", body: Data("{\"kind\":\"echo\"}".utf8))
            #expect(noToken.status == 401)
            #expect(try JSONDecoder().decode(APIError.self, from: noToken.body).code == "unauthorized")
            let wrongToken = try await rawRequest("POST", "\(base)/v1/tasks", body: Data("{\"kind\":\"echo\"}".utf8), token: "nope")
            #expect(wrongToken.status == 401)
            let malformed = try await rawRequest("POST", "\(base)/v1/tasks", body: Data("{\"kind\":".utf8), token: c.token)
            #expect(malformed.status == 400)
            #expect(try JSONDecoder().decode(APIError.self, from: malformed.body).code == "bad-request")
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
            while tasks.tasks.contains(where: { $0.state != "succeeded" }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                tasks = try await c.client.call("GET", second.adminAddress, "/v1/tasks?limit=100")
            }
            #expect(Set(tasks.tasks.map(\.key)) == Set((0..<5).map { "before-\($0)" } + (0..<5).map { "after-\($0)" }))
            #expect(tasks.total == 10)
            #expect(tasks.tasks.allSatisfy { $0.state == "succeeded" }, "\(tasks.tasks.map { "\($0.id) \($0.state) \($0.node ?? "-")" })")
            let status = try await c.client.status(second.adminAddress)
            #expect(status.tasks.byState["succeeded"] == 10)
        }
    }
}
