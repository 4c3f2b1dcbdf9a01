import Testing
import TestSupport
import TaskQueue

@Suite("Model-based random runs")
struct ModelTests {
    @Test(arguments: 1...20)
    func invariantsHoldAtEveryStep(seed: Int) async throws {
        try await heavy { () async throws in
            var generator = CommandGenerator(seed: UInt64(seed) &* 0x5bd1e995)
            var state = TaskQueueState()
            // Reference bookkeeping driven by the effects alone.
            var fifo: [TaskID] = []
            var successes: [TaskID: Int] = [:]
            var finals: [TaskID: TaskRecord] = [:]
            var stale = 0
            var submitted: [String: TaskID] = [:]
            var effectKinds = Set<String>()

            for step in 0..<1_000 {
                for command in generator.next(for: state) {
                    let before = state
                    let effects = state.apply(command)
                    // Built only when an expectation fails: describing enums is slow.
                    let context = Context(seed: seed, step: step, command: command, effects: effects)

                    if effects.isEmpty {
                        guard case .requeue = command else {
                            Issue.record("only requeue may have no effect: \(context)")
                            return
                        }
                    }
                    if effects.allRejected {
                        // A rejection changes nothing but the stale counter.
                        #expect(state.tasks == before.tasks, "\(context)")
                        #expect(state.queued == before.queued, "\(context)")
                        #expect(state.acceptedCompletions == before.acceptedCompletions, "\(context)")
                    }
                    for effect in effects {
                        effectKinds.insert(effect.kind)
                        switch effect {
                        case let .created(id, key):
                            #expect(submitted[key] == nil, "\(context)")
                            submitted[key] = id
                            fifo.append(id)
                        case let .duplicate(id, key):
                            #expect(submitted[key] == id, "\(context)")
                        case let .assigned(id, _, _), let .cancelled(id):
                            fifo.removeAll { $0 == id }
                        case let .retried(id, attempt):
                            fifo.append(id)
                            #expect(attempt == (state.task(id)?.attempts ?? -1) + 1, "\(context)")
                        case let .requeued(id, _):
                            fifo.append(id)
                        case let .succeeded(id, node, epoch):
                            successes[id, default: 0] += 1
                            #expect(before.task(id)?.node == node && before.task(id)?.epoch == epoch, "\(context)")
                        case .rejected(.staleEpoch), .rejected(.wrongNode):
                            switch command {
                            case .start, .complete, .fail: stale += 1
                            default: break
                            }
                        case .failed, .timedOut, .started, .rejected, .expired:
                            break
                        }
                    }

                    let problems = Invariants.violations(of: state)
                    #expect(problems.isEmpty, "\(context): \(problems)")
                    #expect(state.queued == fifo, "\(context)")
                    #expect(successes.values.max() ?? 1 == 1, "\(context)")
                    #expect(state.acceptedCompletions == successes.count, "\(context)")
                    #expect(state.staleRejections == stale, "\(context)")
                    // Final tasks never change again: no accepted effect names one, and a periodic full
                    // comparison catches changes no effect reported.
                    for effect in effects {
                        if let id = effect.changedTask, before.task(id)?.state.isFinal == true {
                            Issue.record("final task \(id) changed: \(context)")
                        }
                    }
                    if step % 20 == 0 {
                        for (id, record) in finals { #expect(state.task(id) == record, "\(context)") }
                        for record in state.tasks where record.state.isFinal && finals[record.id] == nil {
                            finals[record.id] = record
                        }
                    }
                    if !problems.isEmpty { return }
                }
            }
            #expect(Set(state.tasks.filter { $0.state == .succeeded }.map(\.id)) == Set(successes.keys))
            // The generator reached every kind of outcome, so the checks above were exercised.
            #expect(effectKinds == ["created", "duplicate", "assigned", "started", "succeeded", "retried",
                                    "failed", "timedOut", "cancelled", "requeued", "rejected"], "\(effectKinds)")
        }
    }
}

/// Where a model run is, printed only with a failed expectation.
private struct Context: CustomStringConvertible {
    let seed: Int
    let step: Int
    let command: Command
    let effects: [Effect]
    var description: String { "seed \(seed) step \(step) \(command) -> \(effects)" }
}

extension Effect {
    /// The task an accepted effect changed; nil for duplicates and rejections.
    fileprivate var changedTask: TaskID? {
        switch self {
        case let .created(id, _), let .assigned(id, _, _), let .started(id, _, _), let .succeeded(id, _, _),
             let .retried(id, _), let .failed(id), let .timedOut(id), let .cancelled(id), let .requeued(id, _):
            id
        case .duplicate, .rejected, .expired:
            nil
        }
    }

    /// The case name.
    fileprivate var kind: String {
        switch self {
        case .created: "created"
        case .duplicate: "duplicate"
        case .assigned: "assigned"
        case .started: "started"
        case .succeeded: "succeeded"
        case .retried: "retried"
        case .failed: "failed"
        case .timedOut: "timedOut"
        case .cancelled: "cancelled"
        case .requeued: "requeued"
        case .rejected: "rejected"
        case .expired: "expired"
        }
    }
}
