import FlotillaAPI
import Foundation

/// Everything an operator can ask of a cluster, as one value: the console's keys and `:` line,
/// the CLI, replay and chaos all produce it, `CommandPerformer.perform` carries it out, and a
/// transcript stores it as it is. Its words (`description`) are the `:` line's, read back by
/// `OperatorGrammar.parse`. Adding a fault: one case here (its `verb` and `arguments`), its row
/// in `OperatorGrammar.verbs` (how it reads and completes, its keys, CLI form and chaos kind),
/// and its effect in `CommandPerformer`; the README's fault table follows from the row.
public enum OperatorCommand: Sendable, Hashable, Codable {
    /// SIGKILL; recovery leaves it dead.
    case kill(node: String)
    /// Stop if running, start again on its data.
    case restart(node: String)
    /// SIGSTOP.
    case pause(node: String)
    /// SIGCONT.
    case resume(node: String)
    /// Remove, start empty as a new incarnation, catch up, promote.
    case replace(node: String)
    case partition(shape: PartitionShape)
    /// Clear every fault rule and verify.
    case heal
    /// Undo the cuts on some links only (the fault list's `u` on a cut); the other cuts, loss and delays stay.
    case mend(links: LinkTarget)
    /// Heal, resume every paused node, stop the load, recovery to advise.
    case panic
    /// Hand leadership to a voter, or (nil) to the most caught-up one.
    case transfer(to: String?)
    case scale(change: ScaleChange, purge: Bool)
    /// Hold back the messages on some links `delay` ± `jitter`; 0 clears.
    case delay(links: LinkTarget, delay: TimeSpan, jitter: TimeSpan)
    /// Lose a share of the messages on some links; 0 clears.
    case loss(links: LinkTarget, share: Share)
    /// Send a share of the messages twice.
    case duplicate(links: LinkTarget, share: Share)
    /// Let later messages overtake a share of earlier ones.
    case reorder(links: LinkTarget, share: Share)
    /// Slow fsyncs, a full disk, or healthy again.
    case disk(node: NodeTarget, fault: DiskFault)
    /// Run a node's timers fast or slow; 1x is true.
    case skew(node: NodeTarget, rate: ClockRate)
    case submit(order: TaskOrder)
    case cancel(task: String)
    /// Admit a join held by `--approve-joins`.
    case approve(node: String)
    case deny(node: String)
    /// Start a load (nil: stop it).
    case load(plan: LoadPlan?)
    case recover(mode: RecoveryMode)

    /// The verb, as the grammar table, transcripts and the CLI name it.
    public var verb: String {
        switch self {
        case .kill: "kill"
        case .restart: "restart"
        case .pause: "pause"
        case .resume: "resume"
        case .replace: "replace"
        case .partition(.isolate): "isolate"
        case .partition: "partition"
        case .heal: "heal"
        case .mend: "mend"
        case .panic: "panic"
        case .transfer: "transfer"
        case .scale: "scale"
        case .delay: "delay"
        case .loss: "loss"
        case .duplicate: "duplicate"
        case .reorder: "reorder"
        case .disk: "disk"
        case .skew: "skew"
        case .submit: "submit"
        case .cancel: "cancel"
        case .approve: "approve"
        case .deny: "deny"
        case .load: "load"
        case .recover: "recover"
        }
    }

    /// Whether it needs node processes this machine started (off with `--connect`).
    public var needsLocalProcesses: Bool {
        switch self {
        case .kill, .restart, .pause, .resume, .replace: true
        case .scale(let change, _):
            switch change {
            case .add, .to: true
            case .remove, .removeNode: false
            }
        default: false
        }
    }

    /// The words after the verb, as the grammar reads them back.
    public var arguments: [String] {
        switch self {
        case .kill(let n), .restart(let n), .pause(let n), .resume(let n), .replace(let n), .approve(let n), .deny(let n): [n]
        case .partition(.isolate(let n)): [n]
        case .partition(let shape): [shape.spec]
        case .heal, .panic: []
        case .transfer(let to): to.map { [$0] } ?? []
        case .scale(let change, let purge): [change.description] + (purge ? ["--purge"] : [])
        case .delay(let links, let delay, let jitter): [links.description, delay.description] + (jitter.milliseconds > 0 ? [jitter.description] : [])
        case .mend(let links): [links.description]
        case .loss(let links, let share), .duplicate(let links, let share), .reorder(let links, let share): [links.description, share.description]
        case .disk(let node, let fault): [node.description] + fault.wordList
        case .skew(let node, let rate): [node.description, rate.description]
        case .submit(let o):
            [o.kind] + o.args.words + (o.count != 1 ? ["--count", "\(o.count)"] : []) + (o.target.map { ["--target", $0] } ?? [])
                + (o.key.map { ["--key", $0] } ?? []) + (o.maxAttempts.map { ["--max-attempts", "\($0)"] } ?? [])
        case .cancel(let id): [id]
        case .load(nil): ["off"]
        case .load(let plan?):
            ["on", plan.kind] + plan.args.words + ["--rate", OperatorGrammar.number(plan.rate), "--read-every", "\(plan.readEvery)"]
                + (plan.duration.map { ["--duration", $0.description] } ?? [])
        case .recover(let mode): [mode.rawValue]
        }
    }
}

extension OperatorCommand: CustomStringConvertible {
    /// The command as the `:` line takes it: `delay n1->n2 100ms 20ms`, `partition minority`.
    public var description: String { ([verb] + arguments).joined(separator: " ") }
}
