/// The safety rules every observer of a cluster applies to what it sees of the nodes: the
/// simulator after every step, the orchestrator's monitor over each status snapshot. Pure: it
/// keeps what it has seen and answers each observation with the rules it breaks. `Hash` is
/// how the observer sees a chained log hash (a number inside, a string over the API).
public struct SafetyRules<Hash: Hashable & Sendable>: Sendable {
    /// The leader seen in each term.
    private var leaderOfTerm: [UInt64: String] = [:]
    /// Each node's highest term across restarts, and highest commit since it last started.
    private var highest: [String: (term: UInt64, commit: UInt64)] = [:]
    /// Committed index -> the hash there and the first node seen holding it.
    private var committed: [UInt64: (hash: Hash, node: String)] = [:]

    public init() {}

    /// Election Safety: `node` leads `term`.
    public mutating func leader(_ node: String, term: UInt64) -> RuleBreach? {
        if let other = leaderOfTerm[term] {
            return other == node ? nil : RuleBreach(.electionSafety, node: node, "\(other) and \(node) both lead term \(term)")
        }
        leaderOfTerm[term] = node
        return nil
    }

    /// `node` is at `term` with `commit`: neither may be below what it was before (the term
    /// restarts included; see `restarted`). One dictionary access: observers call this for
    /// every node after every step.
    public mutating func progress(_ node: String, term: UInt64, commit: UInt64) -> [RuleBreach] {
        let before = Self.raise(&highest[node, default: (0, 0)], term: term, commit: commit)
        guard term < before.term || commit < before.commit else { return [] }
        var found: [RuleBreach] = []
        if term < before.term { found.append(RuleBreach(.termRegression, node: node, "\(node)'s term went back from \(before.term) to \(term)")) }
        if commit < before.commit {
            found.append(RuleBreach(.commitRegression, node: node, "\(node)'s commit went back from \(before.commit) to \(commit)"))
        }
        return found
    }

    /// Raises `last` to (term, commit); returns what it was.
    private static func raise(_ last: inout (term: UInt64, commit: UInt64), term: UInt64, commit: UInt64) -> (term: UInt64, commit: UInt64) {
        defer { last = (max(term, last.term), max(commit, last.commit)) }
        return last
    }

    /// The highest (term, commit) seen of `node`.
    public func highest(_ node: String) -> (term: UInt64, commit: UInt64)? { highest[node] }

    /// `node` restarted after a crash that may have cost it writes it had not synced. Its term
    /// may not go back (a term and a vote are synced before anything depends on them), but its
    /// commit index may: a node does not sync a batch that only moves the commit index, and
    /// learns the index again from the leader (Raft's commit index is volatile state).
    public mutating func restarted(_ node: String) { highest[node]?.commit = 0 }

    /// Forgets `node`'s progress: an operator wiped its data, and it starts over.
    public mutating func forget(_ node: String) { highest[node] = nil }

    /// applied <= commit <= lastIndex.
    public static func indexOrder(_ node: String, applied: UInt64, commit: UInt64, lastIndex: UInt64) -> RuleBreach? {
        applied <= commit && commit <= lastIndex ? nil
            : RuleBreach(.indexOrder, node: node, "\(node) reports applied \(applied), commit \(commit), lastIndex \(lastIndex)")
    }

    /// Log Matching: `node` committed up to `index`, whose chained hash is `hash`. Any two nodes
    /// that committed the same index must hold the same hash there (and so the same prefix).
    public mutating func committed(_ node: String, index: UInt64, hash: Hash) -> RuleBreach? {
        guard index > 0 else { return nil }
        guard let seen = committed[index] else {
            committed[index] = (hash, node)
            return nil
        }
        return seen.hash == hash ? nil
            : RuleBreach(.logMatching, node: node, "\(seen.node) and \(node) committed different prefixes at index \(index) (\(seen.hash) vs \(hash))")
    }

    /// How many committed indexes are remembered.
    public var committedCount: Int { committed.count }

    /// Forgets the committed hashes at or below `index`, to bound memory on long runs.
    public mutating func forgetCommitted(through index: UInt64) {
        committed = committed.filter { $0.key > index }
    }

    /// Exactly once: a task table (`idempotency key -> ids of the tasks holding it`, empty ids
    /// where the caller has none, from
    /// `node` when one) against the submits acknowledged to clients (key, and the task id the
    /// client was given when known). Every acknowledged key once, no key twice.
    public static func submits(_ table: [String: [String]], node: String?, acknowledged: some Sequence<(key: String, id: String?)>)
        -> [RuleBreach] {
        let on = node.map { " on \($0)" } ?? ""
        var found: [RuleBreach] = []
        for (key, ids) in table.sorted(by: { $0.key < $1.key }) where ids.count > 1 {
            let named = ids.filter { !$0.isEmpty }
            found.append(RuleBreach(.duplicateSubmit, node: node, "idempotency key \(key) is held by \(ids.count) tasks\(on)"
                                    + (named.isEmpty ? "" : ": \(named.joined(separator: ", "))")))
        }
        for (key, id) in acknowledged {
            guard let ids = table[key], !ids.isEmpty else {
                found.append(RuleBreach(.lostSubmit, node: node, "\(key)\(id.map { " (task \($0))" } ?? "") was acknowledged but is not in the task table\(on)"))
                continue
            }
            if let id, ids.count == 1, ids[0] != id {
                found.append(RuleBreach(.lostSubmit, node: node, "\(key) was acknowledged as \(id) but the task table\(on) holds \(ids[0])"))
            }
        }
        return found
    }
}
