import FlotillaAPI
import Foundation
import Orchestrator

/// What a key or a command line asks for: a change to the view, or an operator command, which
/// the console hands to `CommandPerformer` as the CLI, replay and chaos do.
public enum ConsoleAction: Sendable, Equatable {
    case select(Int)
    /// Open the history check's overlay.
    case showHistory
    /// Open the fault list: every fault in force.
    case showFaults
    /// An operator command for the cluster.
    case run(OperatorCommand)
    case openPrompt(PromptKind)
    /// A `:` command line, parsed by `CommandLineParser` when it runs.
    case command(String)
    case filter(String)
    case taskFilter(node: String?, state: TaskState?)
    case help
    case close
    case quit

    /// Whether it changes the cluster (and so is refused in --readonly and recorded in transcripts).
    public var mutates: Bool {
        if case .run = self { return true }
        return false
    }
}
