import FlotillaAPI
import Foundation

/// Carries out operator commands through an `Engine`: the one place a command becomes actions,
/// whichever face gave it and whichever Raft implementation runs the cluster. A command the
/// engine cannot take is refused first, with its one-line reason, before anything is done.
/// Partitions, heal, mend, loss, delay and reorder go to the engine (the nodes' filter, or the
/// kernel in a namespace lab, for any engine), and so do replace and disk faults (the node's own
/// storage fault, or a full tmpfs under an etcd member). The verbs only Flotilla's node takes
/// (duplicate, clock faults, tasks, joins, recovery) go to its `ClusterControl`; the load goes
/// through the engine's `LoadClient`. The action
/// events a command causes carry the command (what a transcript stores); `loads` holds the load
/// `load on` starts, `recovery` the mode `recover` sets.
public final class CommandPerformer: Sendable {
    public let engine: any Engine
    /// Flotilla's control plane when the engine is Flotilla's node; nil otherwise.
    public let control: ClusterControl?
    public let loads: LoadSlot
    let recovery: Recovery?
    /// How long `heal` waits for its verification.
    let healTimeout: Duration

    public convenience init(control: ClusterControl, loads: LoadSlot? = nil, recovery: Recovery? = nil, healTimeout: Duration = .seconds(5)) {
        self.init(engine: FlotillaEngine(control: control), loads: loads, recovery: recovery, healTimeout: healTimeout)
    }

    public init(engine: any Engine, loads: LoadSlot? = nil, recovery: Recovery? = nil, healTimeout: Duration = .seconds(5)) {
        self.engine = engine
        control = (engine as? FlotillaEngine)?.control
        self.healTimeout = healTimeout
        self.loads = loads ?? LoadSlot(engine: engine)
        self.recovery = recovery
    }

    /// Performs `command`; throws what the cluster refused (the action event says so too).
    @discardableResult
    public func perform(_ command: OperatorCommand) async throws -> CommandOutcome {
        if let reason = engine.refusal(command) {
            engine.events.emit(.action, "\(command) refused: \(reason)", reason: "operator", ok: false, category: command.verb,
                               action: OperatorAction(verb: command.verb, target: command.arguments.first))
            throw OrchestratorError(reason)
        }
        return try await CommandInFlight.$current.withValue(command) { try await run(command) }
    }

    /// Flotilla's control plane, for the verbs only its node takes (`refusal` turned the rest away).
    private func flotilla(_ command: OperatorCommand) throws -> ClusterControl {
        guard let control else { throw OrchestratorError("\(command.verb) is not built for \(engine.kind)") }
        return control
    }

    private func run(_ command: OperatorCommand) async throws -> CommandOutcome {
        let e = engine
        switch command {
        case .kill(let n):
            try await e.kill(n)
            return .done("killed \(n)")
        case .restart(let n):
            try await e.restart(n)
            return .done("restarted \(n)")
        case .pause(let n):
            try await e.pause(n)
            return .done("paused \(n)")
        case .resume(let n):
            try await e.resume(n)
            return .done("resumed \(n)")
        case .replace(let n):
            try await e.replace(n)
            return .done("replaced \(n): a new incarnation caught up and votes")
        case .partition(let shape):
            return .partitioned(try await e.partition(shape))
        case .heal:
            return .healed(await e.heal(timeout: healTimeout))
        case .mend(let links):
            return .done("mend \(links): " + (try await e.mend(links)))
        case .panic:
            return .healed(await e.panic(loads: loads, healTimeout: healTimeout))
        case .transfer(let to):
            return .leader(try await e.transfer(to: to))
        case .scale(let change, let purge):
            let changed = try await e.scale(change, purge: purge)
            return .scaled(changed: changed, members: await e.snapshot().members.count)
        case .delay(let links, let delay, let jitter):
            try await e.delay(links, delay, jitter: jitter)
            return .done("delay on \(links): \(delay)" + (jitter.milliseconds > 0 ? "±\(jitter)" : ""))
        case .loss(let links, let share):
            try await e.loss(links, share)
            return .done("loss on \(links): \(share)")
        case .duplicate(let links, let share):
            try await flotilla(command).duplicate(links.description, fraction: share.fraction)
            return .done("duplicate on \(links): \(share)")
        case .reorder(let links, let share):
            try await e.reorder(links, share)
            return .done("reorder on \(links): \(share)")
        case .disk(let node, let fault):
            let detail = try await e.disk(node, fault)
            return .done("disk of \(node): \(fault.words)" + (detail.isEmpty ? "" : " (\(detail))"))
        case .skew(let node, let rate):
            try await flotilla(command).skew(node.description, rate: rate.factor)
            return .done("clock of \(node): \(rate)")
        case .submit(let order):
            return .submitted(try await flotilla(command).submit(order.submission, count: order.count))
        case .cancel(let id):
            try await flotilla(command).cancel(id)
            return .done("cancelled \(id)")
        case .approve(let n):
            try await flotilla(command).approve(n)
            return .done("approved \(n); it joins as a learner")
        case .deny(let n):
            try await flotilla(command).approve(n, deny: true)
            return .done("denied \(n)")
        case .load(let plan?):
            _ = try await loads.start(plan)
            return .done("load on: \(plan.rateText(writing: loads.client.writeNoun))" + (plan.duration.map { " for \($0)" } ?? ""))
        case .load(nil):
            guard let load = await loads.stop() else { return .done("load off: none was running") }
            let s = await load.summary
            return .done("load off: \(s.outcomeText)")
        case .recover(let mode):
            if let recovery {
                await recovery.setMode(mode)
            } else {
                let c = try flotilla(command)
                c.intents.update { $0.recover = mode.rawValue }
                c.events.emit(.recovery, "recovery mode: \(mode.rawValue)", reason: "operator", category: "recover",
                              action: OperatorAction(verb: "recover", target: mode.rawValue))
            }
            return .done("recovery mode: \(mode.rawValue)")
        }
    }
}
