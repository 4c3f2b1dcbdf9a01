import FlotillaAPI
import Foundation
import Orchestrator
import Synchronization
import Testing
import TestSupport

/// Progress lines of a run, kept to explain a failure.
final class LineLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

/// A short chaos run through the core on a real local cluster: every fault kind, then the
/// total-queue check, the invariant monitor and the leader's return after each heal.
@Suite("Chaos", .serialized)
struct ChaosTests {
    @Test(.timeLimit(.minutes(10)))
    func aShortChaosRunWithEveryFaultKindLosesNothing() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "2", "--snapshot-every", "300"]) { c in
            // `flotilla chaos` holds a leader to 2 s after each heal; here the nodes share two cores
            // with the rest of the suite, so the bound is looser (it still catches a cluster that
            // does not recover), and safety is checked as strictly as ever.
            let config = ChaosConfig(seed: 20_250_601, duration: .seconds(27), faults: ChaosFault.allCases, timing: .quick, rate: 20,
                                     livenessBound: .seconds(8))
            let lines = LineLog()
            let run = ChaosRun(control: c.control, config: config) { lines.append($0) }
            let schedule = try run.schedule()
            #expect(Set(schedule.map(\.fault)) == Set(ChaosFault.allCases), "\(schedule)")
            let report = try await run.run()
            let explain = "\(report.summary.joined(separator: "\n"))\n\(report.line)\n\(lines.text)"
            #expect(report.schedule == schedule)
            #expect(report.injected >= schedule.count - 1, "the faults were injected: \(explain)")
            #expect(report.queue.acknowledged >= 50, "the load ran: \(explain)")
            #expect(report.queue.lost.isEmpty, "\(explain)")
            #expect(report.queue.duplicated.isEmpty, "\(explain)")
            #expect(report.queue.unexpected.isEmpty, "\(explain)")
            #expect(report.violations.isEmpty, "\(explain)\n\(c.logs())")
            #expect(report.checks > 20, "the monitor watched the run")
            #expect(report.leaderAfterHealMs.count == report.injected)
            #expect(!report.failed)
            // Afterwards the cluster is whole again: the original three, all running, no rules.
            let s = await c.view()
            #expect(s.members.map(\.id).sorted() == ["n1", "n2", "n3"])
            #expect(s.live.count == 3 && s.live.allSatisfy { $0.faults.isClean })
        }
    }

    /// SIGINT ends a run at once, and the run's session still stops the cluster it started.
    @Test(.timeLimit(.minutes(5)))
    func aSignalEndsTheRunAndItsClusterStops() async throws {
        try await withClusterSlot {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-chaos-sig-\(UUID().uuidString.prefix(8))").path
            let errFile = dir + ".err"
            let launcher = Launcher(directory: dir)
            defer {
                for n in (try? launcher.load().nodes) ?? [] { if let pid = launcher.pid(of: n) { kill(pid, SIGKILL) } }
                try? FileManager.default.removeItem(atPath: dir)
                try? FileManager.default.removeItem(atPath: errFile)
            }
            _ = FileManager.default.createFile(atPath: errFile, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: LocalCluster.executable)
            p.arguments = ["chaos", "--nodes", "3", "--duration", "120s", "--seed", "5", "--dir", dir]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle(forWritingAtPath: errFile)
            try p.run()
            defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
            try await eventually("the run's nodes to run", timeout: .seconds(60)) {
                guard let spec = try? launcher.load(), !spec.nodes.isEmpty else { return false }
                return spec.nodes.allSatisfy { launcher.pid(of: $0) != nil }
            }
            kill(p.processIdentifier, SIGINT)
            try await eventually("chaos to end after SIGINT", timeout: .seconds(60), poll: .milliseconds(100)) { !p.isRunning }
            let err = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
            #expect(p.terminationReason == .exit && p.terminationStatus == 1, "\(err)")
            #expect(err.contains("stopped by a signal"), "\(err)")
            let spec = try launcher.load()
            #expect(spec.nodes.allSatisfy { launcher.pid(of: $0) == nil }, "every node the run started is stopped: \(err)")
        }
    }
}
