import AsyncHTTPClient
import FlotillaAPI
import NIOCore
import Foundation
import Orchestrator
import Testing

@Suite("Metrics, events and fault rules", .serialized)
struct ObservabilityTests {
    @Test func metricsEventsAndFaultsAreServed() async throws {
        try await withCluster(nodeArgs: ["--slots", "0"]) { c in
            let leader = try await c.waitForLeader()
            let metrics = try await rawRequest("GET", "http://\(leader.adminAddress)/metrics")
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(metrics.status == 200)
            #expect(text.contains("flotilla_term \(leader.term)"))
            #expect(text.contains("flotilla_is_leader 1"))
            #expect(text.contains("flotilla_fsync_seconds_bucket"))

            let follower = c.spec.nodes.first { $0.id != leader.id }!
            let spec = FaultSpec(drop: [leader.id], direction: .both)
            let set: FaultSpec = try await c.client.call("PUT", follower.adminAddress, "/v1/faults", body: spec)
            #expect(set.drop == [leader.id])
            let bad = try await rawRequest("PUT", "http://\(follower.adminAddress)/v1/faults",
                                           body: Data("{\"direction\":\"sideways\"}".utf8), token: c.token)
            #expect(bad.status == 400)
            let cleared: FaultSpec = try await c.client.call("DELETE", follower.adminAddress, "/v1/faults")
            #expect(cleared.isClean)

            // The event stream replays recent events: the election and the fault changes.
            let events = try await sseLines(from: "http://\(follower.adminAddress)/v1/events", until: { $0.contains("fault rules cleared") })
            #expect(events.contains { $0.contains("\"kind\":\"leader\"") })
            #expect(events.contains { $0.contains("fault rules set") })

            let hash: LogHash = try await c.client.call("GET", leader.adminAddress, "/v1/log/hash?index=1")
            let other: LogHash = try await c.client.call("GET", follower.adminAddress, "/v1/log/hash?index=1")
            #expect(hash == other)
        }
    }
}

/// Reads server-sent event lines until one satisfies `until` (bounded in time).
func sseLines(from url: String, until: @escaping @Sendable (String) -> Bool) async throws -> [String] {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    defer { _ = http.shutdown() }
    let task = Task { () -> [String] in
        let response = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        var lines: [String] = []
        var pending = ""
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            while let nl = pending.firstIndex(of: "\n") {
                let line = String(pending[..<nl])
                pending = String(pending[pending.index(after: nl)...])
                lines.append(line)
                if until(line) { return lines }
            }
        }
        return lines
    }
    let timeout = Task {
        try await Task.sleep(for: .seconds(10))
        task.cancel()
    }
    defer { timeout.cancel() }
    return try await task.value
}
