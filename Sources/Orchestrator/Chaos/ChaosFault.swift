import Foundation

/// A kind of fault a chaos run's nemesis injects, each healed before the next begins.
public enum ChaosFault: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// SIGKILL a node (often the leader); healed by restarting it on its data.
    case kill
    /// SIGSTOP a node; healed by SIGCONT. Its sockets stay open, so its peers see a silent node.
    case pause
    /// Split the cluster into groups (isolated leader, minority, random halves, majorities ring, bridge).
    case partition
    /// Drop one node's outgoing Raft traffic only: it hears everyone, nobody hears it.
    case oneWay = "one-way"
    /// Hand leadership to another voter.
    case transfer
    /// Add a node (learner, caught up, promoted), then remove it again.
    case scale
    /// Delay, lose, duplicate or reorder the messages on some links.
    case link
    /// Make a node's disk slow (every fsync takes longer) or full (writes fail with ENOSPC).
    case disk
    /// Run a node's timers fast or slow.
    case skew

    public var description: String { rawValue }

    /// Parses `kill,pause,partition,one-way,transfer,scale,link,disk,skew` (any subset, any order; `all` for every kind).
    public static func parseList(_ text: String) throws -> [ChaosFault] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        if names == ["all"] { return allCases }
        var out: [ChaosFault] = []
        for name in names {
            guard let f = ChaosFault(rawValue: name) else {
                throw OrchestratorError("unknown fault \"\(name)\"; the faults are \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !out.contains(f) { out.append(f) }
        }
        if out.isEmpty { throw OrchestratorError("--faults names no fault; the faults are \(allCases.map(\.rawValue).joined(separator: ", "))") }
        return out
    }
}
