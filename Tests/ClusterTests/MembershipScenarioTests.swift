import FlotillaAPI
import Foundation
import Orchestrator
import Testing

@Suite("Membership through the admin API", .serialized)
struct MembershipScenarioTests {
    @Test func aNodeJoinsAsALearnerIsPromotedAndRemoved() async throws {
        try await withCluster(nodeArgs: ["--slots", "1"]) { c in
            let leader = try await c.waitForLeader()
            for i in 0..<10 {
                let _: SubmitResult = try await c.client.call("POST", leader.adminAddress, "/v1/tasks",
                                                              body: TaskSubmission(kind: "echo", key: "m-\(i)"))
            }
            let (spec, newNode) = try c.launcher.addNode()
            let follower = c.spec.nodes.first { $0.id != leader.id }!
            // Join through a follower: the join is redirected to the leader.
            try c.launcher.start(newNode, spec: spec, mode: .join(follower.adminAddress))
            let joined = try await pollStatus(c, newNode.adminAddress, "\(newNode.id) to join and catch up") { s in
                s.role == .learner && s.leader == leader.id && s.applied >= leader.commit + 10
            }
            #expect(joined.members.first { $0.id == newNode.id }?.voter == false)

            let _: OperationResult = try await c.client.call("POST", leader.adminAddress, "/v1/members/\(newNode.id)/promote")
            let promoted = try await pollStatus(c, leader.adminAddress, "\(newNode.id) to be a voter") { s in
                s.members.first { $0.id == newNode.id }?.voter == true
            }
            #expect(promoted.members.filter(\.voter).count == 4)

            // Removing it shrinks the cluster back to three.
            let _: OperationResult = try await c.client.call("DELETE", leader.adminAddress, "/v1/members/\(newNode.id)")
            let after = try await pollStatus(c, leader.adminAddress, "\(newNode.id) to be removed") { s in
                !s.members.contains { $0.id == newNode.id }
            }
            #expect(after.members.count == 3)
            _ = await c.launcher.stop(newNode)
        }
    }
}

/// Polls one node's status until `condition` holds.
func pollStatus(_ c: LocalCluster, _ address: String, _ what: String, timeout: Duration = .seconds(20),
                _ condition: (NodeStatus) -> Bool) async throws -> NodeStatus {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let s = try? await c.client.status(address), condition(s) { return s }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out waiting for \(what)\n\(c.logs())")
    throw CancellationError()
}
