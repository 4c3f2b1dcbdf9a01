import FlotillaAPI
import Testing
import TestSupport
@testable import FlotillaNode

@Suite("Status board (what long-polls of /v1/status wait on)")
struct StatusBoardTests {
    static func status(term: UInt64 = 2, commit: UInt64 = 5, uptimeMs: UInt64 = 1000, contactMs: UInt64 = 20) -> NodeStatus {
        NodeStatus(id: "n1", clusterID: "c", role: .leader, term: term, leader: "n1", vote: "n1", commit: commit,
                   applied: commit, lastIndex: commit, snapshotIndex: 0, commitHash: "00", members: [],
                   peers: [PeerInfo(id: "n2", match: commit, next: commit + 1, progress: "replicate", status: "healthy",
                                    lastContactMs: contactMs)],
                   tasks: TaskCounts(), faults: FaultSpec(), raftAddress: "r", adminAddress: "a", uptimeMs: uptimeMs)
    }

    /// The tag follows what an observer can act on: not the uptime, not a peer's contact age.
    @Test func theTagMovesOnlyWithTheEssence() {
        let board = StatusBoard(Self.status())
        let first = board.tagged.tag
        board.publish(Self.status(uptimeMs: 9000, contactMs: 70))
        #expect(board.tagged.tag == first)
        #expect(board.status.uptimeMs == 9000, "readers still get the newest status")
        board.publish(Self.status(commit: 6))
        #expect(board.tagged.tag != first)
        board.publish(Self.status(term: 3, commit: 6))
        let third = board.tagged.tag
        #expect(Set([first, third]).count == 2)
    }

    /// A restarted node starts counting again; its tags must not collide with the old run's.
    @Test func twoRunsNeverShareATag() {
        let a = StatusBoard(Self.status()), b = StatusBoard(Self.status())
        #expect(a.tagged.tag != b.tagged.tag)
    }

    @Test func aWatcherWakesOnAChangeAndOnlyThen() async throws {
        let board = StatusBoard(Self.status())
        let tag = board.tagged.tag
        // Nothing changes: the wait runs out and says so.
        #expect(await board.waitForChange(from: tag, timeout: .milliseconds(50)) == false)
        #expect(board.watcherCount == 0, "a watcher that timed out is gone")
        // A stale tag answers at once.
        #expect(await board.waitForChange(from: "\"old\"", timeout: .seconds(60)) == true)

        let waiting = Task { await board.waitForChange(from: tag, timeout: .seconds(60)) }
        try await eventually("the watcher to register") { board.watcherCount == 1 }
        board.publish(Self.status(uptimeMs: 5000))  // not a change
        board.publish(Self.status(commit: 9))
        #expect(await waiting.value == true)
        #expect(board.watcherCount == 0)
    }

    @Test func shutdownAndCancellationReleaseWatchers() async throws {
        let board = StatusBoard(Self.status())
        let tag = board.tagged.tag
        let released = Task { await board.waitForChange(from: tag, timeout: .seconds(60)) }
        let cancelled = Task { await board.waitForChange(from: tag, timeout: .seconds(60)) }
        try await eventually("both watchers to register") { board.watcherCount == 2 }
        cancelled.cancel()
        #expect(await cancelled.value == false)
        board.releaseWatchers()
        #expect(await released.value == false)
        #expect(board.watcherCount == 0)
    }
}
