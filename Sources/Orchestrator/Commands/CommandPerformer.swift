import FlotillaAPI
import Foundation

/// Carries out operator commands over `ClusterControl`: the one place a command becomes
/// actions, whichever face gave it. The action events it causes carry the command (what a
/// transcript stores); `loads` holds the load `load on` starts, `recovery` the mode `recover` sets.
public final class CommandPerformer: Sendable {
    public let control: ClusterControl
    public let loads: LoadSlot
    let recovery: Recovery?
    /// How long `heal` waits for its verification.
    let healTimeout: Duration

    public init(control: ClusterControl, loads: LoadSlot? = nil, recovery: Recovery? = nil, healTimeout: Duration = .seconds(5)) {
        self.control = control
        self.healTimeout = healTimeout
        self.loads = loads ?? LoadSlot(control: control)
        self.recovery = recovery
    }

    /// Performs `command`; throws what the cluster refused (the action event says so too).
    @discardableResult
    public func perform(_ command: OperatorCommand) async throws -> CommandOutcome {
        try await CommandInFlight.$current.withValue(command) { try await run(command) }
    }

    private func run(_ command: OperatorCommand) async throws -> CommandOutcome {
        let c = control
        switch command {
        case .kill(let n):
            try await c.kill(n)
            return .done("killed \(n)")
        case .restart(let n):
            try await c.restart(n)
            return .done("restarted \(n)")
        case .pause(let n):
            try await c.pause(n)
            return .done("paused \(n)")
        case .resume(let n):
            try await c.resume(n)
            return .done("resumed \(n)")
        case .replace(let n):
            try await c.replace(n)
            return .done("replaced \(n): a new incarnation caught up and votes")
        case .partition(.isolate(let n)):
            return .partitioned(try await c.isolate(n).description)
        case .partition(let shape):
            return .partitioned(try await c.partition(shape.spec).description)
        case .heal:
            return .healed(await c.heal(timeout: healTimeout))
        case .panic:
            return .healed(await c.panic(load: await loads.current))
        case .transfer(let to):
            return .leader(try await c.transfer(to: to))
        case .scale(let change, let purge):
            let changed = try await c.scale(change, purge: purge)
            return .scaled(changed: changed, members: await c.snapshot().members.count)
        case .delay(let links, let delay, let jitter):
            try await c.delay(links.description, ms: delay.milliseconds, jitter: jitter.milliseconds)
            return .done("delay on \(links): \(delay)" + (jitter.milliseconds > 0 ? "±\(jitter)" : ""))
        case .loss(let links, let share):
            try await c.loss(links.description, fraction: share.fraction)
            return .done("loss on \(links): \(share)")
        case .duplicate(let links, let share):
            try await c.duplicate(links.description, fraction: share.fraction)
            return .done("duplicate on \(links): \(share)")
        case .reorder(let links, let share):
            try await c.reorder(links.description, fraction: share.fraction)
            return .done("reorder on \(links): \(share)")
        case .disk(let node, let fault):
            try await c.disk(node.description, fault)
            return .done("disk of \(node): \(fault.words)")
        case .skew(let node, let rate):
            try await c.skew(node.description, rate: rate.factor)
            return .done("clock of \(node): \(rate)")
        case .submit(let order):
            return .submitted(try await c.submit(order.submission, count: order.count))
        case .cancel(let id):
            try await c.cancel(id)
            return .done("cancelled \(id)")
        case .approve(let n):
            try await c.approve(n)
            return .done("approved \(n); it joins as a learner")
        case .deny(let n):
            try await c.approve(n, deny: true)
            return .done("denied \(n)")
        case .load(let plan?):
            _ = await loads.start(plan)
            return .done("load on: \(OperatorGrammar.number(plan.rate))/s of \(plan.kind)" + (plan.duration.map { " for \($0)" } ?? ""))
        case .load(nil):
            guard let load = await loads.stop() else { return .done("load off: none was running") }
            let s = await load.summary
            return .done("load off: \(s.ok) ok, \(s.failed) failed, \(s.unknown) unknown")
        case .recover(let mode):
            if let recovery {
                await recovery.setMode(mode)
            } else {
                c.intents.update { $0.recover = mode.rawValue }
                c.events.emit(.recovery, "recovery mode: \(mode.rawValue)", reason: "operator", category: "recover",
                              action: OperatorAction(verb: "recover", target: mode.rawValue))
            }
            return .done("recovery mode: \(mode.rawValue)")
        }
    }
}
