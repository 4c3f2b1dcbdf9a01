/// A safety property of the cluster: Raft's (Figure 3 of the paper), the node's own, and the
/// task queue's exactly-once promises. The simulator and the orchestrator's monitor check the
/// same rules under the same names.
public enum SafetyRule: String, Sendable, CaseIterable, Codable {
    /// At most one leader per term.
    case electionSafety = "election-safety"
    /// A leader never overwrites or deletes entries in its log.
    case leaderAppendOnly = "leader-append-only"
    /// Two logs that hold an entry with the same index and term agree on everything before it.
    case logMatching = "log-matching"
    /// A committed entry is in the log of every later leader.
    case leaderCompleteness = "leader-completeness"
    /// No two nodes apply different entries at one index.
    case stateMachineSafety = "state-machine-safety"
    /// A node's term never goes back, restarts included.
    case termRegression = "term-regression"
    /// A node's commit index never goes back while it runs (a crash may lose the last one it
    /// wrote without a sync; see `SafetyRules.restarted`).
    case commitRegression = "commit-regression"
    /// applied <= commit <= lastIndex on every node.
    case indexOrder = "index-order"
    /// Every acknowledged submit is in the committed task table.
    case lostSubmit = "lost-submit"
    /// No idempotency key is in the task table twice.
    case duplicateSubmit = "duplicate-submit"
    /// At most one accepted completion per task.
    case duplicateCompletion = "duplicate-completion"
    /// A task's fencing epoch never goes back.
    case fencingEpochs = "fencing-epochs"
    /// A linearizable read sees every write acknowledged before it began, and everything an
    /// earlier read saw.
    case staleRead = "stale-read"
    /// A node reported a broken invariant itself.
    case runtime = "runtime-invariant"

    /// The rule in words, as reports print it.
    public var title: String {
        switch self {
        case .electionSafety: "election safety"
        case .leaderAppendOnly: "leader append-only"
        case .logMatching: "log matching"
        case .leaderCompleteness: "leader completeness"
        case .stateMachineSafety: "state machine safety"
        case .termRegression: "monotonic term"
        case .commitRegression: "monotonic commit"
        case .indexOrder: "applied <= commit <= lastIndex"
        case .lostSubmit: "acknowledged submit present"
        case .duplicateSubmit: "exactly once"
        case .duplicateCompletion: "one accepted completion"
        case .fencingEpochs: "fencing epochs grow"
        case .staleRead: "linearizable reads"
        case .runtime: "runtime invariant"
        }
    }
}

/// One broken rule: which, on which node (when one), and what was seen.
public struct RuleBreach: Sendable, Equatable {
    public var rule: SafetyRule
    public var node: String?
    public var detail: String

    public init(_ rule: SafetyRule, node: String? = nil, _ detail: String) {
        self.rule = rule
        self.node = node
        self.detail = detail
    }
}
