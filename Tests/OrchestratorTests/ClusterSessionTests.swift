import FlotillaAPI
import Foundation
import Synchronization
import Testing
@testable import Orchestrator

/// The session's one loop over a scripted engine: each snapshot becomes a tick with the changes
/// observed, the violations found and a transcript line; commands go through the engine and are
/// recorded; an owned cluster is torn down however the work ends.
@Suite("Cluster session")
struct ClusterSessionTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func node(_ id: String, role: NodeRole, term: UInt64, leader: String?, commit: UInt64) -> NodeStatus {
        NodeStatus(id: id, clusterID: "c", role: role, term: term, leader: leader, vote: nil, commit: commit, applied: commit, lastIndex: commit,
                   snapshotIndex: 0, commitHash: "", members: ["n1", "n2"].map { MemberInfo(id: $0, raftAddress: "", adminAddress: "a-\($0)", voter: true) },
                   peers: [], tasks: TaskCounts(), faults: FaultSpec(), raftAddress: "", adminAddress: "a-\(id)", uptimeMs: 60_000)
    }

    func snapshot(_ seq: UInt64, _ statuses: [NodeStatus]) -> ClusterSnapshot {
        ClusterSnapshot(seq: seq, takenAt: t0.addingTimeInterval(Double(seq)),
                        nodes: statuses.map { NodeObservation(id: $0.id, adminAddress: $0.adminAddress, status: $0, up: true) })
    }

    /// n1 leads term 2; n2 is elected in term 3; then n1 also claims term 3 and n2's commit goes back.
    var script: [ClusterSnapshot] {
        [snapshot(1, [node("n1", role: .leader, term: 2, leader: "n1", commit: 5), node("n2", role: .follower, term: 2, leader: "n1", commit: 5)]),
         snapshot(2, [node("n1", role: .follower, term: 3, leader: "n2", commit: 7), node("n2", role: .leader, term: 3, leader: "n2", commit: 7)]),
         snapshot(3, [node("n1", role: .leader, term: 3, leader: "n1", commit: 7), node("n2", role: .leader, term: 3, leader: "n2", commit: 6)])]
    }

    func transcriptFile() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("session-\(UUID().uuidString.prefix(8)).jsonl").path
    }

    func recorder(_ engine: any Engine, _ path: String) throws -> TranscriptRecorder {
        let header = TranscriptHeader(started: t0, cluster: TranscriptHeader.Cluster(nodes: 2, ids: ["n1", "n2"]), source: "test")
        return TranscriptRecorder(writer: try TranscriptWriter.create(path, header: header), events: engine.events)
    }

    @Test func theLoopObservesRecordsAndMonitorsEverySnapshot() async throws {
        let engine = ScriptedEngine(script)
        let path = transcriptFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = SessionOptions()
        options.feed = .poll
        options.interval = .milliseconds(5)
        let session = ClusterSession(engine: engine, options: options, recorder: try recorder(engine, path))
        let ticks = session.ticks()
        await session.start()
        var seen: [SessionTick] = []
        for await tick in ticks {
            seen.append(tick)
            if seen.count == 4 { break }
        }
        await session.close()

        #expect(seen.map(\.round) == [1, 2, 3, 4])
        #expect(seen[0].events.map(\.message) == ["n1 leads, term 2"])
        #expect(seen[1].events.map(\.category) == ["election"], "\(seen[1].events.map(\.message))")
        #expect(seen[1].violations.isEmpty)
        let broken = Set(seen[2].violations.map(\.invariant))
        #expect(broken == ["election safety", "monotonic commit"], "\(seen[2].violations)")
        #expect(seen[3].violations.isEmpty, "each violation is reported once")

        let transcript = try Transcript.read(path)
        // Three different clusters (the fourth look repeats the third, the close's last look too).
        #expect(transcript.statuses.map(\.term) == [2, 3, 3])
        #expect(transcript.events.contains { $0.category == "election" && $0.message.hasPrefix("n2 elected leader, term 3") })
        #expect(transcript.events.filter { $0.kind == "invariant" }.count == 2, "\(transcript.events.map(\.message))")
    }

    @Test func commandsGoThroughTheEngineAndIntoTheTranscript() async throws {
        let engine = ScriptedEngine(script)
        let path = transcriptFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let session = ClusterSession(engine: engine, recorder: try recorder(engine, path))
        try await session.perform(.kill(node: "n2"))
        await #expect(throws: OrchestratorError.self) { try await session.perform(.heal) }
        await session.close()
        #expect(engine.asked == ["kill n2"], "a refused command never reaches the engine")
        let actions = try Transcript.read(path).actions
        #expect(actions.map(\.ok) == [true, false])
        #expect(actions.first?.command == .kill(node: "n2"))
    }

    @Test func anOwnedClusterIsTornDownWhenTheWorkThrows() async throws {
        let stopped = Mutex(0)
        let dir = TemporaryCluster.freshDirectory("session-test")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cluster = TemporaryCluster(directory: dir, keep: false) { stopped.withLock { $0 += 1 } }
        let session = ClusterSession(engine: ScriptedEngine(script), cluster: cluster)
        await #expect(throws: OrchestratorError.self) {
            _ = try await session.run { (_: ClusterSession) -> Int in throw OrchestratorError("the work failed") }
        }
        #expect(stopped.withLock { $0 } == 1)
        #expect(FileManager.default.fileExists(atPath: dir), "a failed run keeps its directory for the logs")

        let clean = ClusterSession(engine: ScriptedEngine(script), cluster: TemporaryCluster(directory: dir, keep: false) { stopped.withLock { $0 += 1 } })
        let (value, kept) = try await clean.run { s in await s.step().round }
        #expect(value >= 1 && kept == nil)
        #expect(stopped.withLock { $0 } == 2)
        #expect(!FileManager.default.fileExists(atPath: dir), "a run that went well removes its temporary directory")
        #expect(await clean.close() == nil, "a second close does nothing")
        #expect(stopped.withLock { $0 } == 2)
    }
}
