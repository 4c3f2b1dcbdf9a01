import FlotillaAPI
import Foundation
import Orchestrator
import Synchronization
import Testing

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
}
