import FlotillaAPI
import Foundation
import Testing
@testable import Orchestrator

/// Panic is one thing on every engine, built from the engine's own verbs: the load stops,
/// recovery goes to advise, full disks are emptied where heal leaves them, paused members are
/// resumed and the network healed, each step marked as part of the panic.
@Suite("Panic")
struct PanicTests {
    func cluster(paused: String) -> ClusterSnapshot {
        let nodes = ["n1", "n2", "n3"].map { id in
            NodeObservation(id: id, adminAddress: "a-\(id)", up: id != paused, process: id == paused ? .paused : .running)
        }
        return ClusterSnapshot(seq: 1, takenAt: Date(), nodes: nodes)
    }

    @Test func panicStopsTheLoadSetsAdviseEmptiesDisksResumesThePausedAndHeals() async throws {
        let engine = ScriptedEngine([cluster(paused: "n2")], takesDisks: true)
        engine.intents.update { $0.recover = RecoveryMode.auto.rawValue; $0.paused = ["n2"] }
        let performer = CommandPerformer(engine: engine)
        _ = try await performer.loads.start(LoadPlan(rate: 50, kind: "echo"))
        #expect(await performer.loads.active)

        let outcome = try await performer.perform(.panic)
        #expect(outcome == .healed(HealReport()), "the heal's report is the panic's answer")
        #expect(await !performer.loads.active, "the load stopped")
        #expect(engine.intents.current.recover == RecoveryMode.advise.rawValue, "recovery is advise")
        #expect(engine.intents.current.paused.isEmpty)
        #expect(engine.asked == ["disk all ok", "resume n2"], "disks emptied before the paused member resumes")
        let actions = engine.events.recent.compactMap(\.action)
        let steps = actions.drop { $0.verb != "panic" }.dropFirst()
        #expect(steps.map(\.verb) == ["load", "disk", "resume"] && steps.allSatisfy { $0.by.hasSuffix(" via panic") },
                "a replay runs the panic, not its steps again: \(actions.map { "\($0.verb) by \($0.by)" })")
    }
}
