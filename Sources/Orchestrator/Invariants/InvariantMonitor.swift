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

    public var description: String { "\(invariant): \(detail)" }
}

/// Checks the cluster's safety invariants over the stream of snapshots, task tables and log
/// hashes it is shown. Pure: it holds what it has seen and reports each violation once.
public struct InvariantMonitor: Sendable {
    /// term -> the node seen leading it.
    var leaders: [UInt64: String] = [:]
    var lastTerm: [String: UInt64] = [:]
    var lastCommit: [String: UInt64] = [:]
    /// commit index -> (hash, node) for the commit hashes seen, to compare nodes at the same index.
    var commitHashes: [UInt64: (hash: String, node: String)] = [:]
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

    /// Nodes whose data an operator wiped: their next step backwards is the restart, not a violation.
    var wiped = Set<String>()

    /// Forgets a node's history: after an operator wiped its data, its term and commit start over.
    public mutating func forget(_ node: String) {
        lastTerm[node] = nil
        lastCommit[node] = nil
        wiped.insert(node)
    }

    @discardableResult
    public mutating func observe(_ s: ClusterSnapshot) -> [Violation] {
        checks += 1
        var found: [Violation] = []
        for st in s.live {
            if st.role == .leader {
                if let other = leaders[st.term], other != st.id {
                    found.append(Violation("election safety", node: st.id, "\(other) and \(st.id) both led term \(st.term)"))
                } else {
                    leaders[st.term] = st.id
                }
            }
            if wiped.contains(st.id), st.term < (lastTerm[st.id] ?? 0) || st.commit < (lastCommit[st.id] ?? 0) {
                // The first sight of the wiped node's new life (an answer from before the wipe may have come late).
                wiped.remove(st.id)
                lastTerm[st.id] = nil
                lastCommit[st.id] = nil
            }
            if let t = lastTerm[st.id], st.term < t {
                found.append(Violation("monotonic term", node: st.id, "\(st.id)'s term went from \(t) back to \(st.term)"))
            }
            if let c = lastCommit[st.id], st.commit < c {
                found.append(Violation("monotonic commit", node: st.id, "\(st.id)'s commit went from \(c) back to \(st.commit)"))
            }
            lastTerm[st.id] = max(st.term, lastTerm[st.id] ?? 0)
            lastCommit[st.id] = max(st.commit, lastCommit[st.id] ?? 0)
            if !(st.applied <= st.commit && st.commit <= st.lastIndex) {
                found.append(Violation("applied <= commit <= lastIndex", node: st.id,
                                       "\(st.id) reports applied \(st.applied), commit \(st.commit), lastIndex \(st.lastIndex)"))
            }
            if st.commit > 0, !st.commitHash.isEmpty {
                if let seen = commitHashes[st.commit], seen.node != st.id, seen.hash != st.commitHash {
                    found.append(Violation("log matching", node: st.id,
                                           "at index \(st.commit) \(seen.node) has hash \(seen.hash) but \(st.id) has \(st.commitHash)"))
                } else if commitHashes[st.commit] == nil {
                    commitHashes[st.commit] = (st.commitHash, st.id)
                }
            }
        }
        if commitHashes.count > 50_000, let cut = commitHashes.keys.sorted().dropLast(25_000).last {
            commitHashes = commitHashes.filter { $0.key > cut }
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
        return report([Violation("log matching", "nodes disagree on entry \(index): \(detail)")])
    }

    /// The committed task table (from the leader) against the submits the cluster acknowledged (key -> task id).
    @discardableResult
    public mutating func observe(tasks: [TaskView], acknowledged: [String: String]) -> [Violation] {
        checks += 1
        var found: [Violation] = []
        var byKey: [String: [TaskView]] = [:]
        for t in tasks { byKey[t.key, default: []].append(t) }
        for (key, id) in acknowledged.sorted(by: { $0.key < $1.key }) {
            let copies = byKey[key] ?? []
            if copies.isEmpty {
                found.append(Violation("acknowledged submit present", "\(key) (task \(id)) was acknowledged but is not in the task table"))
            } else if copies.count > 1 {
                found.append(Violation("exactly once", "\(key) is in the task table \(copies.count) times: \(copies.map(\.id).joined(separator: ", "))"))
            } else if copies[0].id != id {
                found.append(Violation("acknowledged submit present", "\(key) was acknowledged as \(id) but the table holds \(copies[0].id)"))
            }
        }
        for t in tasks {
            if let e = epochs[t.id], t.epoch < e {
                found.append(Violation("fencing epochs grow", "task \(t.id)'s epoch went from \(e) back to \(t.epoch)"))
            }
            epochs[t.id] = max(t.epoch, epochs[t.id] ?? 0)
            let final = t.state.isFinal
            let outcome = "\(t.state) at epoch \(t.epoch) on \(t.node ?? "-")"
            if let previous = finals[t.id] {
                if previous != outcome {
                    found.append(Violation("one accepted completion", "task \(t.id) finished as \(previous), later as \(outcome)"))
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
