import FlotillaAPI
import Foundation
@testable import Orchestrator
import Testing

@Suite("Chaos schedule and checks")
struct ChaosScheduleTests {
    let five = ["n1", "n2", "n3", "n4", "n5"]

    func schedule(_ seed: UInt64, nodes: [String]? = nil, faults: [ChaosFault] = ChaosFault.allCases, ms: Int = 120_000) -> [NemesisStep] {
        Nemesis(seed: seed, nodes: nodes ?? five, faults: faults, durationMs: ms).schedule()
    }

    @Test func theScheduleIsAPureFunctionOfTheSeed() {
        for seed: UInt64 in [1, 2, 42, 0xDEAD_BEEF, .max] {
            let a = schedule(seed)
            #expect(!a.isEmpty)
            #expect(a == schedule(seed), "seed \(seed) gives the same schedule twice")
            #expect(a != schedule(seed &+ 1), "seeds \(seed) and \(seed &+ 1) differ")
        }
        // Over many seeds, no two give the same schedule.
        let distinct = Set((1...200).map { schedule(UInt64($0)).map(\.description).joined(separator: ";") })
        #expect(distinct.count == 200)
    }

    @Test func stepsFitTheDurationOneAtATimeAndCoverEveryKind() {
        for seed in UInt64(1)...50 {
            let steps = schedule(seed, ms: 90_000)
            #expect(Set(steps.prefix(ChaosFault.allCases.count).map(\.fault)) == Set(ChaosFault.allCases), "seed \(seed)")
            for (a, b) in zip(steps, steps.dropFirst()) {
                #expect(a.atMs + a.holdMs < b.atMs, "seed \(seed): \(a) overlaps \(b)")
            }
            #expect(steps.allSatisfy { $0.atMs + $0.holdMs <= 90_000 })
            #expect(steps.first.map { $0.atMs >= NemesisTiming.standard.warmupMs } ?? false)
        }
    }

    @Test func targetsAreNodesOrShapesThePartitionParserAccepts() throws {
        for seed in UInt64(1)...100 {
            for step in schedule(seed) {
                switch step.fault {
                case .kill, .pause, .oneWay: #expect(step.target == "leader" || five.contains(step.target))
                case .transfer: #expect(step.target == "any" || five.contains(step.target))
                case .scale: #expect(step.target == "+1")
                case .link:
                    #expect((try? LinkSelection.parse(step.target, members: five)) != nil, "\(step.target)")
                    #expect(step.value.map { ["delay ", "loss ", "duplicate ", "reorder "].contains(where: $0.hasPrefix) } == true)
                    #expect((try? ChaosRun.command(for: step, resolved: step.target, others: [])) != nil, "\(step)")
                case .disk, .skew:
                    #expect(step.target == "leader" || five.contains(step.target))
                    let command = try ChaosRun.command(for: step, resolved: "n2", others: [])
                    if case .skew(_, let rate) = command { #expect(rate.factor != 1, "\(step)") }
                case .partition:
                    let plan = try PartitionPlan.parse(step.target, members: five, leader: "n2")
                    #expect(plan.rules.values.contains { !$0.drop.isEmpty }, "\(step.target) cuts something")
                }
            }
        }
    }

    /// An engine that refuses a kind never gets it: the nemesis draws from the kinds it takes.
    @Test func theNemesisDrawsOnlyFaultsTheEngineTakes() {
        let node = NodeObservation(id: "n1", adminAddress: "a", up: false)
        let session = ClusterSession(engine: ScriptedEngine([ClusterSnapshot(seq: 1, takenAt: Date(), nodes: [node])]))
        let run = ChaosRun(session: session, config: ChaosConfig(seed: 9, duration: .seconds(120)))
        let steps = run.schedule(nodes: five)
        #expect(!steps.isEmpty)
        #expect(Set(steps.map(\.fault)) == [.kill, .pause], "\(steps)")
        #expect(run.faults(nodes: five).refused.count == ChaosFault.allCases.count - 2)
    }

    @Test func onlyTheChosenKindsAreDrawn() {
        let steps = schedule(7, faults: [.kill, .transfer])
        #expect(Set(steps.map(\.fault)) == [.kill, .transfer])
        #expect(steps.count > 10)
        // With three nodes there is no majorities ring.
        let three = (1...100).flatMap { schedule(UInt64($0), nodes: ["n1", "n2", "n3"], faults: [.partition]) }
        #expect(!three.contains { $0.target == "majorities-ring" })
        #expect(schedule(7, ms: 1_000).isEmpty, "no fault fits in a second")
    }

    @Test func faultListsParse() throws {
        #expect(try ChaosFault.parseList("kill,one-way, scale") == [.kill, .oneWay, .scale])
        #expect(try ChaosFault.parseList("all") == ChaosFault.allCases)
        #expect(throws: OrchestratorError.self) { try ChaosFault.parseList("kill,explode") }
        #expect(throws: OrchestratorError.self) { try ChaosFault.parseList(" , ") }
    }

    func op(_ key: String, _ outcome: LoadGenerator.Operation.Outcome, _ id: String? = nil) -> LoadGenerator.Operation {
        LoadGenerator.Operation(key: key, invokedAt: Date(), returnedAt: Date(), outcome: outcome, taskID: id, error: nil)
    }

    func task(_ id: String, _ key: String) -> TaskView {
        TaskView(id: id, key: key, kind: "echo", args: [:], target: nil, state: .succeeded, node: "n1", epoch: 1, attempts: 1,
                 maxAttempts: 3, submittedAt: 0, updatedAt: 0, result: nil, error: nil)
    }

    @Test func theQueueCheckCountsLostDuplicatedAndUnexpected() {
        let history = [op("a", .ok, "t-1"), op("b", .ok, "t-2"), op("c", .ok, "t-3"), op("d", .unknown), op("e", .unknown),
                       op("f", .fail), op("g", .ok, "t-9")]
        let tasks = [task("t-1", "a"), task("t-3", "c"), task("t-4", "c"), task("t-5", "d"), task("t-6", "f"), task("t-7", "zz"),
                     task("t-8", "g")]
        let c = QueueCheck.check(history: history, tasks: tasks)
        #expect(c.acknowledged == 4)
        #expect(c.lost == ["b", "g"], "b is missing; g is held under another id")
        #expect(c.duplicated == ["c"])
        #expect(c.unexpected == ["f", "zz"], "f was refused on every attempt; nobody submitted zz")
        #expect(c.recovered == 1 && c.indeterminate == 1)
        #expect(!c.ok && c.details.count == 3)
        let clean = QueueCheck.check(history: [op("a", .ok, "t-1"), op("d", .unknown)], tasks: [task("t-1", "a")])
        #expect(clean.ok && clean.acknowledged == 1 && clean.indeterminate == 1)
    }

    @Test func aSubmitFailsOnlyWhenEveryAttemptWasRefusedBeforeProposing() {
        let noLeader = APIError("no leader", code: APIErrorCode.noLeader)
        let timeout = APIError("no outcome", code: APIErrorCode.timeout)
        let lost = APIError("lost in a leader change", code: APIErrorCode.unavailable)
        #expect(LoadGenerator.outcome(acknowledged: false, errors: [noLeader, noLeader, noLeader]) == .fail)
        #expect(LoadGenerator.outcome(acknowledged: false, errors: [APIError("bad", code: APIErrorCode.badRequest)]) == .fail)
        #expect(LoadGenerator.outcome(acknowledged: false, errors: [noLeader, timeout]) == .unknown)
        #expect(LoadGenerator.outcome(acknowledged: false, errors: [timeout, noLeader]) == .unknown)
        #expect(LoadGenerator.outcome(acknowledged: false, errors: [lost]) == .unknown)
        #expect(LoadGenerator.outcome(acknowledged: false, errors: [OrchestratorError("connection reset")]) == .unknown)
        #expect(LoadGenerator.outcome(acknowledged: true, errors: [timeout]) == .ok)
        #expect(LoadGenerator.outcome(acknowledged: false, errors: []) == .unknown)
    }

    @Test func unavailabilityIsTheLongestStretchWithoutALeader() {
        let t0 = ContinuousClock.now
        var a = AvailabilityTracker()
        a.observe(at: t0, leader: false)  // before the first leader: the cluster is still starting
        a.observe(at: t0 + .milliseconds(500), leader: true)
        a.observe(at: t0 + .milliseconds(600), leader: false)
        a.observe(at: t0 + .milliseconds(900), leader: false)
        a.observe(at: t0 + .milliseconds(1_000), leader: true)
        a.observe(at: t0 + .milliseconds(2_000), leader: false)
        a.observe(at: t0 + .milliseconds(2_200), leader: true)
        #expect(a.maxUnavailableMs == 400)
        a.observe(at: t0 + .milliseconds(3_000), leader: false)
        a.close(at: t0 + .milliseconds(4_000))
        #expect(a.maxUnavailableMs == 1_000, "a stretch still open at the end counts")
    }

    @Test func theLastLineHasTheDocumentedShape() {
        var r = ChaosReport(seed: 9, schedule: [])
        r.injected = 3
        r.maxUnavailableMs = 812
        #expect(r.line == "chaos: seed=9 faults=3 acked=0 lost=0 duplicated=0 unexpected=0 violations=0 max_unavailable_ms=812")
        #expect(!r.failed)
        r.violations = [Violation("liveness", "slow")]
        #expect(r.failed)
    }
}
