import ClusterRules
import RaftCore

/// Read access to one node's log, as the checker needs it.
public protocol LogView {
    var lastIndex: UInt64 { get }
    var snapshotIndex: UInt64 { get }
    func hash(at index: UInt64) -> UInt64?
}

extension RaftNode: LogView {}

/// One broken safety property, with the simulated time it was seen at.
public struct Violation: Sendable, Equatable, CustomStringConvertible {
    /// The rules are the ones the orchestrator's monitor checks too.
    public typealias Kind = SafetyRule

    public var kind: Kind
    public var tick: UInt64
    public var detail: String

    public var description: String { "[\(kind.rawValue)] tick \(tick): \(detail)" }
}

/// Checks Raft's safety properties (Figure 3 of the paper) and the task queue's
/// exactly-once promises over a stream of observations. Pure: the simulator feeds it
/// after every step, and tests feed it hand-made histories to prove it can fail.
public struct InvariantChecker: Sendable {
    public private(set) var violations: [Violation] = []
    public var tick: UInt64 = 0

    /// The rules every observer applies: election safety, terms and commits that never go
    /// back, log matching at committed indexes, exactly-once submits.
    private var rules = SafetyRules<UInt64>()
    /// Leader Append-Only: the (term, lastIndex, lastHash) each leader had when last seen.
    private var leaderTip: [NodeID: (term: UInt64, index: UInt64, hash: UInt64)] = [:]
    /// The highest committed index reported by a node while in each term. An entry a node
    /// reports committed in term X was committed in a term <= X, so every leader of a later term must hold it.
    private var highestCommitInTerm: [UInt64: (index: UInt64, hash: UInt64)] = [:]
    /// State Machine Safety: the hash of the entry applied at each index.
    private var applied: [UInt64: UInt64] = [:]
    /// Completions accepted per (node, incarnation, task).
    private var completions: Set<String> = []

    public init() {}

    public var isClean: Bool { violations.isEmpty }

    mutating func fail(_ kind: Violation.Kind, _ detail: String) {
        violations.append(Violation(kind: kind, tick: tick, detail: detail))
    }

    mutating func fail(_ breach: RuleBreach?) {
        if let breach { fail(breach.rule, breach.detail) }
    }

    /// A node is leader in `term` with `log`. Checks Election Safety, Leader Append-Only
    /// and Leader Completeness.
    public mutating func observeLeader(_ node: NodeID, term: UInt64, log: some LogView) {
        fail(rules.leader(node, term: term))
        if let tip = leaderTip[node], tip.term == term {
            if log.lastIndex < tip.index {
                fail(.leaderAppendOnly, "leader \(node) (term \(term)) shrank its log from \(tip.index) to \(log.lastIndex)")
            } else if let h = log.hash(at: tip.index), h != tip.hash {
                fail(.leaderAppendOnly, "leader \(node) (term \(term)) rewrote its log at or before \(tip.index)")
            }
        }
        leaderTip[node] = (term, log.lastIndex, log.hash(at: log.lastIndex) ?? 0)
        var c: (index: UInt64, hash: UInt64) = (0, 0)
        for (t, commit) in highestCommitInTerm where t < term && commit.index > c.index { c = commit }
        if c.index > 0, c.index > log.snapshotIndex {
            if log.lastIndex < c.index {
                fail(.leaderCompleteness, "leader \(node) (term \(term)) lacks committed entry \(c.index); its log ends at \(log.lastIndex)")
            } else if log.hash(at: c.index) != c.hash {
                fail(.leaderCompleteness, "leader \(node) (term \(term)) holds a different entry at committed index \(c.index)")
            }
        }
    }

    /// `node`, in `term`, reports `commit` with the chained hash of its entry there. Two nodes
    /// that committed the same index must agree on the whole prefix (Log Matching).
    public mutating func observeCommit(_ node: NodeID, term: UInt64, commit: UInt64, hash: UInt64) {
        guard commit > 0 else { return }
        fail(rules.committed(node, index: commit, hash: hash))
        if commit > highestCommitInTerm[term]?.index ?? 0 { highestCommitInTerm[term] = (commit, hash) }
    }

    /// `node` applied the entry at `index` whose chained hash is `hash`.
    public mutating func observeApplied(_ node: NodeID, index: UInt64, hash: UInt64) {
        if let known = applied[index] {
            if known != hash { fail(.stateMachineSafety, "\(node) applied a different entry at index \(index)") }
        } else {
            applied[index] = hash
        }
    }

    /// `node` restarted from its disk: its commit index may start below where it was.
    public mutating func restarted(_ node: NodeID) { rules.restarted(node) }

    /// `node` is a new incarnation (its disk was wiped): its term and commit start over.
    public mutating func forget(_ node: NodeID) { rules.forget(node) }

    /// `node`'s hard state; its term never moves back, restarts included, nor its commit while it runs.
    public mutating func observeDurable(_ node: NodeID, term: UInt64, commit: UInt64) {
        for breach in rules.progress(node, term: term, commit: commit) { fail(breach) }
    }

    /// A node accepted a completion of `task`; `incarnation` changes each time the node
    /// rebuilds its state machine (restart, snapshot install), since replay repeats effects.
    public mutating func observeCompletion(_ node: NodeID, incarnation: Int, task: String) {
        let key = "\(node)#\(incarnation)#\(task)"
        if !completions.insert(key).inserted {
            fail(.duplicateCompletion, "\(node) accepted a second completion of \(task)")
        }
    }

    /// Checks one node's task table against the submits clients saw acknowledged:
    /// every acknowledged key present exactly once, no key twice.
    public mutating func checkSubmits(_ node: NodeID, keysInState: [String], acknowledged: some Sequence<String>) {
        var table: [String: [String]] = [:]
        table.reserveCapacity(keysInState.count)
        for k in keysInState { table[k, default: []].append("") }
        for breach in SafetyRules<UInt64>.submits(table, node: node, acknowledged: acknowledged.lazy.map { (key: $0, id: nil) }) { fail(breach) }
    }

    /// A node reported a broken invariant itself.
    public mutating func observeRuntimeViolation(_ detail: String) {
        fail(.runtime, detail)
    }
}
