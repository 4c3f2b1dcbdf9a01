import Foundation
import Orchestrator
import Synchronization
import Testing
import TestSupport

/// A transcript recorded on a cluster in a namespace lab says so in its header (`net: netns`),
/// and its replay starts the cluster in a new lab, where the recorded isolate and heal are
/// kernel rules again; the replay's lab is gone afterwards.
@Suite("Replaying a lab transcript in a lab", .serialized)
struct LabReplayTests {
    static let reason: Comment = "needs root (network namespaces, nftables) and iproute2; .ci/run installs them and runs as root"

    @Test(.enabled(reason) { await NetworkTool.unavailableReason() == nil }, .timeLimit(.minutes(5)), arguments: EngineUnderTest.allCases)
    func aTranscriptRecordedInALabReplaysInALab(_ kind: EngineUnderTest) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-lab-\(UUID().uuidString.prefix(8)).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await withEngineInLab(kind) { engine, _ in
            let dir = try #require((engine as? EtcdEngine)?.local?.directory ?? (engine as? FlotillaEngine)?.control.client.launcher?.directory)
            let s = await engine.snapshot()
            let member = try #require(s.nodes.first?.id)
            let isolate = try await flotilla(["isolate", member, "--dir", dir, "--record", file])
            #expect(isolate.code == 0, "\(isolate.out)\(isolate.err)")
            let heal = try await flotilla(["heal", "--dir", dir, "--timeout", "15s", "--record", file])
            #expect(heal.code == 0, "\(heal.out)\(heal.err)")
        }
        let transcript = try Transcript.read(file)
        #expect(transcript.header.net == "netns", "the header records the lab: \(String(describing: transcript.header.net))")

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-lab-replay-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let seen = Mutex<NetnsLab?>(nil)
        let report = try await withHangGuard(.seconds(90)) {
            let replay = ReplayRun(transcript: transcript, speed: .max)
            let session = try await replay.session(directory: dir, executable: LocalCluster.executable)
            return try await replay.run(in: session, progress: { _ in
                    let lab = kind == .etcd ? try? EtcdLocalCluster(directory: dir, executable: "etcd").load().network
                        : try? Launcher(directory: dir).load().network
                    seen.withLock { if $0 == nil { $0 = lab } }
                })
        }
        #expect(report.steps.map(\.verb) == ["isolate", "heal"], "\(report.steps)")
        let allTook = report.steps.allSatisfy { $0.ok }
        let text = report.text
        #expect(allTook, "\(kind): every step took, in the lab: \(text)")
        let lab = try #require(seen.withLock { $0 }, "\(kind): the replayed cluster ran in a lab")
        #expect(try await lab.leftovers() == [], "the replay's lab is gone")
    }
}
