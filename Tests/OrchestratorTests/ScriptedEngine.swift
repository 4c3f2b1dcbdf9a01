import FlotillaAPI
import Foundation
import HistoryCheck
import Synchronization
@testable import Orchestrator

/// An engine that answers a scripted sequence of snapshots (the last one repeats) and notes the
/// process verbs it is asked for (and, when it `takesDisks`, `disk … ok`), reporting each as an
/// action event as a real engine does.
final class ScriptedEngine: Engine {
    let events = EventSink()
    let intents = IntentStore(directory: nil)
    /// Whether it takes `disk … ok`, which its heal then leaves to panic (as etcd's does).
    let takesDisks: Bool
    private let script: Mutex<[ClusterSnapshot]>
    private let calls = Mutex<[String]>([])

    init(_ snapshots: [ClusterSnapshot], takesDisks: Bool = false) {
        script = Mutex(snapshots)
        self.takesDisks = takesDisks
    }

    var kind: String { "scripted" }
    var launchedHere: Bool { true }
    /// The verbs asked for, in order: `kill n2`.
    var asked: [String] { calls.withLock { $0 } }
    /// Snapshots not yet handed out.
    var remaining: Int { script.withLock { $0.count } }

    func snapshot() async -> ClusterSnapshot {
        script.withLock { s in s.count > 1 ? s.removeFirst() : s[0] }
    }

    private func act(_ verb: String, _ member: String) {
        calls.withLock { $0.append("\(verb) \(member)") }
        events.emit(.action, node: member, "\(verb) \(member): done", reason: "operator", category: verb,
                    action: OperatorAction(verb: verb, target: member))
    }

    func kill(_ member: String) async throws { act("kill", member) }
    func restart(_ member: String) async throws { act("restart", member) }
    func pause(_ member: String) async throws { act("pause", member) }
    func resume(_ member: String) async throws { act("resume", member) }
    func addLearner() async throws -> String { throw OrchestratorError("not scripted") }
    func promote(_ member: String) async throws { throw OrchestratorError("not scripted") }
    func remove(_ member: String) async throws { throw OrchestratorError("not scripted") }
    func scale(_ change: ScaleChange, purge: Bool) async throws -> [String] { throw OrchestratorError("not scripted") }
    func transfer(to member: String?) async throws -> String { throw OrchestratorError("not scripted") }
    func replace(_ member: String) async throws { throw OrchestratorError("not scripted") }
    func disk(_ target: NodeTarget, _ fault: DiskFault) async throws -> String {
        guard takesDisks, fault == .ok else { throw OrchestratorError("not scripted") }
        act("disk", "\(target) ok")
        return ""
    }
    func workload(for duration: Duration) async throws -> [HistoryOperation] { [] }
    func loadClient() -> any LoadClient { MemoryLoadClient(events: events) }
    /// Network faults: none are taken (`refusal` turns them away first).
    func partition(_ shape: PartitionShape) async throws -> String { throw OrchestratorError("not scripted") }
    func heal(timeout: Duration) async -> HealReport { HealReport() }
    var healEmptiesDisks: Bool { !takesDisks }
    func stopLoadElsewhere() -> String? { nil }
    func loss(_ links: LinkTarget, _ share: Share) async throws { throw OrchestratorError("not scripted") }
    func mend(_ links: LinkTarget) async throws -> String { throw OrchestratorError("not scripted") }
    func delay(_ links: LinkTarget, _ delay: TimeSpan, jitter: TimeSpan) async throws { throw OrchestratorError("not scripted") }
    func reorder(_ links: LinkTarget, _ share: Share) async throws { throw OrchestratorError("not scripted") }

    func refusal(_ command: OperatorCommand) -> String? {
        switch command {
        case .kill, .restart, .pause, .resume, .panic: nil
        case .disk(_, .ok) where takesDisks: nil
        default: "\(command.verb) is not scripted"
        }
    }

    func shutdown() async {}
}
