import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport

/// Delay in the kernel for Flotilla's nodes in namespaces: the switch queues the frames of the
/// delayed links (NFQUEUE) and the run's releaser process holds them; the nodes' own filter
/// stays clean.
@Suite("Kernel delay (NFQUEUE)", .serialized)
struct KernelDelayTests {
    static let reason: Comment = "needs root, iproute2, nft, iptables-nft and a kernel with the NFQUEUE target; .ci/run installs them and runs as root"

    /// The fastest of ten writes: a delay raises every commit, so even the fastest rises above
    /// it, while a quiet cluster's fastest stays far below it even on a loaded machine. A write
    /// lost in a leader change (200 ms round trips through the leader on a loaded machine can
    /// elect another) is retried with its key, within 30 s, and its time not counted.
    static func fastestCommit(_ c: LocalCluster) async throws -> Duration {
        var fastest = Duration.seconds(3600)
        let deadline = ContinuousClock.now + .seconds(30)
        for k in 0..<10 {
            let key = "fastest-\(UUID().uuidString.prefix(8))-\(k)"
            while true {
                let start = ContinuousClock.now
                do {
                    _ = try await c.control.submit(TaskSubmission(kind: "echo", args: ["text": "hi"], key: key))
                    fastest = min(fastest, ContinuousClock.now - start)
                    break
                } catch where ContinuousClock.now < deadline {
                    _ = try await c.waitForLeader()
                }
            }
        }
        return fastest
    }

    /// Whether `pid` has exited: reaped here if it is our child, else no longer listed in /proc
    /// or a zombie its parent has yet to reap.
    static func gone(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        _ = waitpid(pid, &status, WNOHANG)
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
        return state == "Z" || state == "X"
    }

    @Test(.enabled(reason) { await PacketDelays.unavailableReason() == nil }, .timeLimit(.minutes(5)))
    func aKernelDelayOnTheLeadersLinksHoldsEveryCommitAndHealLeavesNoRuleNorReleaser() async throws {
        try await withNetnsCluster { c, lab in
            let leader = try await c.waitForLeader()
            let dir = c.launcher.directory
            let quiet = try await Self.fastestCommit(c)

            // Every link in and out of the leader: a commit needs a follower's answer, 100 ms each way.
            let set = try await flotilla(["delay", leader.id, "100ms", "--dir", dir])
            #expect(set.code == 0, "\(set.out)\(set.err)")
            let delays = try #require(c.control.packetDelays, "cluster.json names the lab")
            let releaser = try #require(delays.releaserPid(), "the releaser outlives the command that started it")
            let rules = try await delays.rules()
            #expect(rules.count == 4 && rules.allSatisfy { $0.delayMs == 100 && ($0.from == leader.id || $0.to == leader.id) }, "\(rules)")
            let faults: FaultSpec = try await c.client.call("GET", leader.adminAddress, "/v1/faults", timeout: .seconds(2))
            #expect(faults.isClean, "the kernel holds the packets, not the node's filter: \(faults)")
            let delayed = try await Self.fastestCommit(c)
            #expect(delayed >= .milliseconds(200), "quiet \(quiet), delayed \(delayed)")
            let stats = try #require(delays.stats())
            #expect(stats.released > 0 && stats.dropped == 0, "\(stats)")

            let status = try await flotilla(["status", "--dir", dir])
            let follower = try #require(lab.members.first { $0 != leader.id })
            #expect(status.out.contains("kernel delay (NFQUEUE") && status.out.contains("delay \(leader.id)->\(follower) 100ms"), "\(status.out)")
            #expect(status.out.contains("releaser pid \(releaser)"), "\(status.out)")

            let heal = try await flotilla(["heal", "--dir", dir, "--timeout", "15s"])
            #expect(heal.code == 0, "\(heal.out)\(heal.err)")
            #expect(try await delays.leftovers() == [])
            #expect(Self.gone(releaser), "the releaser (pid \(releaser)) is gone")
            let tables = try await NetworkTool.nft(in: lab.switchNamespace, ["list", "tables"])
            #expect(!tables.contains("ip filter") && !tables.contains(lab.tableName), "\(tables)")
            #expect(try await NetworkTool.ip(["netns", "pids", lab.switchNamespace]).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            let healed = try await Self.fastestCommit(c)
            #expect(healed < .milliseconds(100), "quiet \(quiet), delayed \(delayed), healed \(healed)")
            print("fastest of 10 commits: quiet \(quiet), kernel delay 100 ms on the leader's links \(delayed), healed \(healed)")
        }
    }

    @Test(.enabled(reason) { await PacketDelays.unavailableReason() == nil }, .timeLimit(.minutes(5)))
    func teardownEndsTheReleaserAndLeavesNothingWhenTheBodyThrows() async throws {
        struct Planned: Error {}
        var seen: (lab: NetnsLab, releaser: pid_t)?
        do {
            try await withNetnsCluster { c, lab in
                _ = try await c.waitForLeader()
                try await c.control.delay("n1<->n2", ms: 50, jitter: 10)
                try await c.control.reorder("n3->n1", fraction: 0.2)
                let delays = try #require(c.control.packetDelays)
                #expect(try await delays.rules().map(\.description) == ["delay n1->n2 50ms±10", "delay n2->n1 50ms±10", "reorder n3->n1 20%"])
                seen = (lab, try #require(delays.releaserPid()))
                throw Planned()
            }
            Issue.record("the body's error was swallowed")
        } catch is Planned {
        }
        let (lab, releaser) = try #require(seen)
        try await eventually("the releaser gone", timeout: .seconds(5)) { Self.gone(releaser) }
        #expect(try await lab.leftovers() == [])
        let namespaces = try await NetworkTool.ip(["netns", "list"])
        let tables = try await NetworkTool.run(NetworkTool.nftPath!, ["list", "tables"])
        for text in [namespaces, tables] { #expect(!text.contains(lab.run), "\(text)") }
    }
}
