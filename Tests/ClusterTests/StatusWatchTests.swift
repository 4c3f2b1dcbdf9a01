import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// The newest snapshot a stream produced.
actor LatestSnapshot {
    var value: ClusterSnapshot?
    func set(_ s: ClusterSnapshot) { value = s }
}

@Suite("Watching node status by long-poll", .serialized)
struct StatusWatchTests {
    /// `GET /v1/status` is a conditional GET: an ETag names the status, `If-None-Match` with it
    /// answers 304, and `?wait=MS` holds the answer until the status changes.
    @Test func statusAnswersCarryTagsAndWaitForChanges() async throws {
        try await withCluster(nodeArgs: ["--slots", "0"]) { c in
            let leader = try await c.waitForLeader()
            let admin = leader.adminAddress
            // Once the cluster is idle the same tag holds: a watcher's wait runs out with "unchanged".
            var tag: String?
            try await eventually("an idle status") {
                guard case let .changed(_, t) = try await c.client.status(admin, changedFrom: nil, wait: .zero, timeout: .seconds(5)),
                      t != nil else { return false }
                tag = t
                if case .unchanged = try await c.client.status(admin, changedFrom: t, wait: .milliseconds(300), timeout: .seconds(5)) {
                    return true
                }
                return false
            }
            // A write while a watcher waits: the answer is the new status under a new tag.
            let watcher = Task { [tag] in
                try await c.client.status(admin, changedFrom: tag, wait: .seconds(8), timeout: .seconds(15))
            }
            let before = try await c.client.status(admin)
            _ = try await c.control.submit(TaskSubmission(kind: "echo", key: "wake-the-watcher"))
            guard case let .changed(after, newTag) = try await watcher.value else {
                Issue.record("the write did not wake the watcher")
                return
            }
            #expect(newTag != nil && newTag != tag)
            #expect(after.lastIndex > before.lastIndex, "the answer shows the write's entry")
            for bad in ["abc", "-1", "10001"] {
                let r = try await rawRequest("GET", "http://\(admin)/v1/status?wait=\(bad)")
                #expect(r.status == 400)
                #expect(String(decoding: r.body, as: UTF8.self).contains("wait must be an integer"))
            }
        }
    }

    /// A snapshot stream long-polls: an idle cluster answers with 304s (the uptime still moves),
    /// and a node that stops answering shows down, then up again when it resumes.
    @Test func aWatchedNodeThatStopsAnsweringShowsDownAndComesBack() async throws {
        try await withCluster(nodeArgs: ["--slots", "0"]) { c in
            let leader = try await c.waitForLeader()
            // No launcher: only what the nodes answer counts, as with `--connect`.
            let client = ClusterClient(members: c.members, admin: c.client)
            await client.configureWatch(wait: .milliseconds(300), grace: .milliseconds(300))
            let latest = LatestSnapshot()
            let stream = Task { for await s in client.snapshots(every: .milliseconds(100)) { await latest.set(s) } }
            defer { stream.cancel() }
            try await eventually("every node up") {
                guard let s = await latest.value else { return false }
                return s.nodes.count == 3 && s.nodes.allSatisfy(\.up)
            }
            let uptime = await latest.value?.node(leader.id)?.status?.uptimeMs ?? 0
            try await eventually("unchanged answers") { await client.watchAnswers.unchanged >= 6 }
            try await eventually("the uptime to move on") {
                (await latest.value?.node(leader.id)?.status?.uptimeMs ?? 0) > uptime + 500
            }

            let follower = c.spec.nodes.first { $0.id != leader.id }!
            let pid = try #require(c.launcher.pid(of: follower))
            kill(pid, SIGSTOP)
            defer { kill(pid, SIGCONT) }
            try await eventually("\(follower.id) to show down", timeout: .seconds(15)) {
                await latest.value?.node(follower.id)?.up == false
            }
            kill(pid, SIGCONT)
            try await eventually("\(follower.id) to show up again", timeout: .seconds(15)) {
                await latest.value?.node(follower.id)?.up == true
            }
            #expect(await client.watchAnswers.failed >= 1)
        }
    }

    /// Under a stream of writes every status differs from the last, yet a node answers each
    /// watcher at most once per pace (the snapshot interval): watching a busy cluster costs no
    /// more requests than polling it.
    @Test func aBusyNodeAnswersAWatcherAtMostOncePerPace() async throws {
        try await withCluster(nodeArgs: ["--slots", "0"]) { c in
            _ = try await c.waitForLeader()
            let client = ClusterClient(members: c.members, admin: c.client)
            let latest = LatestSnapshot()
            let stream = Task { for await s in client.snapshots(every: .milliseconds(250)) { await latest.set(s) } }
            defer { stream.cancel() }
            try await eventually("every node up") { await latest.value?.nodes.filter(\.up).count == 3 }
            let before = await client.watchAnswers.changed
            let started = ContinuousClock.now
            var writes = 0
            while ContinuousClock.now - started < .seconds(2) {
                _ = try await c.control.submit(TaskSubmission(kind: "echo", key: "busy-\(writes)"))
                writes += 1
            }
            let elapsed = ContinuousClock.now - started
            let answers = await client.watchAnswers.changed - before
            let perNode = Int(elapsed / .milliseconds(250)) + 2
            #expect(writes >= 10, "the cluster was busy")
            #expect(answers <= 3 * perNode, "\(answers) answers to 3 watchers in \(elapsed) for \(writes) writes")
            #expect(answers >= 3, "the watchers saw the writes")
        }
    }

    /// A watcher waits `watchWait` at the node, then `watchGrace` more before calling it down; with
    /// the console's default 200 ms refresh on top, a silent node must show within one second.
    @Test func defaultsShowASilentNodeWithinOneSecond() async {
        let admin = AdminClient(token: nil)
        let client = ClusterClient(members: [], admin: admin)
        let bound = await client.watchWait + client.watchGrace + .milliseconds(200)
        #expect(bound <= .seconds(1), "a paused node could look healthy for \(bound)")
        await client.shutdown()
    }
}
