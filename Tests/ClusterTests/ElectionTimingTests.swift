import FlotillaAPI
import Foundation
import Orchestrator
import Testing

/// An election's reported time is the new leader's own measure (from the last it heard of the
/// old leader to taking over), not the spacing of the snapshots that saw it.
@Suite("Election timing", .serialized)
struct ElectionTimingTests {
    @Test func aFailoverIsTimedByTheNewLeadersClock() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "0"]) { c in
            let old = try await c.waitForLeader()
            var observer = ChangeObserver()
            _ = observer.observe(await c.view())
            let killedAt = Date()
            try await c.control.kill(old.id)
            let v = try await c.waitFor("a new leader") { $0.leader.map { $0.id != old.id } ?? false }
            let seenAt = Date()
            let leader = try #require(v.leader)
            let election = try #require(leader.electionMs, "the new leader measured its election: \(leader)")
            let window = Int(seenAt.timeIntervalSince(killedAt) * 1000)
            // It heard the old leader until about the kill (a heartbeat before at most) and led before we saw it.
            #expect(Int(election) <= window + 200, "election \(election) ms within the \(window) ms from kill to sight")
            #expect(try #require(leader.leaderContactAgeMs) >= election)
            let event = observer.observe(v).first { $0.category == "election" }
            #expect(event?.durationMs == Int(election))
            #expect(event?.message.hasSuffix(String(format: "(%.2f s)", Double(election) / 1000)) == true, "\(event?.message ?? "no event")")
        }
    }
}
