import ClusterRules
import FlotillaAPI
import Foundation

/// A broken safety property, as seen from outside the cluster.
public struct Violation: Sendable, Codable, Equatable, CustomStringConvertible {
    public var invariant: String
    public var node: String?
    public var detail: String

    public init(_ invariant: String, node: String? = nil, _ detail: String) {
        self.invariant = invariant
        self.node = node
        self.detail = detail
    }

    /// A broken rule of the ones the simulator checks too, under its title.
    init(_ breach: RuleBreach) {
        self.init(breach.rule.title, node: breach.node, breach.detail)
    }

    public var description: String { "\(invariant): \(detail)" }
}

/// Checks the cluster's safety invariants over the stream of snapshots, task tables and log
/// hashes it is shown. Pure: it holds what it has seen and reports each violation once.
public struct InvariantMonitor: Sendable {
    /// The rules the simulator checks too: one leader per term, terms and commits that never
    /// go back, one commit hash per committed index.
    var rules = SafetyRules<String>()
    /// task id -> the highest assignment epoch seen.
    var epochs: [String: UInt64] = [:]
    /// task id -> how it finished (state, epoch, result), once final.
    var finals: [String: String] = [:]
    var reported = Set<String>()
    public private(set) var violations: [Violation] = []
    /// How many snapshots, task tables and hash probes were checked.
    public private(set) var checks = 0

    public init() {}

    public var ok: Bool { violations.isEmpty }

    /// The incarnation each node last reported: a node replaced (or wiped and added back) is a new
    /// member whose term and commit start over, not the old one going backwards.
    var incarnations: [String: String] = [:]

    /// Forgets a node's history: after an operator wiped its data, its term and commit start over.
    public mutating func forget(_ node: String) {
        rules.forget(node)
        incarnations[node] = nil
    }

    @discardableResult
    public mutating func observe(_ s: ClusterSnapshot) -> [Violation] {
        checks += 1
        var found: [Violation] = []
        for st in s.live {
            if st.role == .leader, let b = rules.leader(st.id, term: st.term) { found.append(Violation(b)) }
            if let inc = st.incarnation {
                if let known = incarnations[st.id], known != inc { rules.forget(st.id) }
                incarnations[st.id] = inc
            }
            found += rules.progress(st.id, term: st.term, commit: st.commit).map(Violation.init)
            if let b = SafetyRules<String>.indexOrder(st.id, applied: st.applied, commit: st.commit, lastIndex: st.lastIndex) {
                found.append(Violation(b))
            }
            if !st.commitHash.isEmpty, let b = rules.committed(st.id, index: st.commit, hash: st.commitHash) { found.append(Violation(b)) }
        }
        if rules.committedCount > 50_000, let newest = s.live.map(\.commit).max(), newest > 25_000 {
            rules.forgetCommitted(through: newest - 25_000)
        }
        return report(found)
    }

    /// Hashes of one index read from several nodes (`GET /v1/log/hash`): all must agree.
    @discardableResult
    public mutating func observe(hashes: [String: LogHash]) -> [Violation] {
        checks += 1
        let distinct = Set(hashes.values.map { "\($0.index)/\($0.term)/\($0.hash)" })
        guard distinct.count > 1, let index = hashes.values.first?.index else { return [] }
        let detail = hashes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.hash)@\($0.value.term)" }.joined(separator: " ")
        return report([Violation(SafetyRule.logMatching.title, "nodes disagree on entry \(index): \(detail)")])
    }

    /// The committed task table (from the leader) against the submits the cluster acknowledged (key -> task id).
    @discardableResult
    public mutating func observe(tasks: [TaskView], acknowledged: [String: String], removedKeys: [String: String] = [:]) -> [Violation] {
        checks += 1
        var found: [Violation] = []
        var table: [String: [String]] = [:]
        for t in tasks { table[t.key, default: []].append(t.id) }
        // Keys read after the table: a task removed while the table was read is in one of the two.
        for (key, id) in removedKeys where !(table[key] ?? []).contains(id) { table[key, default: []].append(id) }
        found += SafetyRules<String>.submits(table, node: nil, acknowledged: acknowledged.sorted { $0.key < $1.key }.map { (key: $0.key, id: $0.value) })
            .map(Violation.init)
        for t in tasks {
            if let e = epochs[t.id], t.epoch < e {
                found.append(Violation(SafetyRule.fencingEpochs.title, "task \(t.id)'s epoch went from \(e) back to \(t.epoch)"))
            }
            epochs[t.id] = max(t.epoch, epochs[t.id] ?? 0)
            let final = t.state.isFinal
            let outcome = "\(t.state) at epoch \(t.epoch) on \(t.node ?? "-")"
            if let previous = finals[t.id] {
                if previous != outcome {
                    found.append(Violation(SafetyRule.duplicateCompletion.title, "task \(t.id) finished as \(previous), later as \(outcome)"))
                }
            } else if final {
                finals[t.id] = outcome
            }
        }
        return report(found)
    }

    /// Records violations not reported before.
    mutating func report(_ found: [Violation]) -> [Violation] {
        let new = found.filter { reported.insert($0.description).inserted }
        violations += new
        return new
    }
}
