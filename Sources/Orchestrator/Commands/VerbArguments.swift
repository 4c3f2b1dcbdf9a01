import FlotillaAPI
import Foundation

/// The words after a verb, with the readers a verb's row in `OperatorGrammar.verbs` uses: node
/// ids (checked against the members when known), link and node targets, durations with a bound,
/// `--name value` options and whole numbers. Every refusal says what was expected.
public struct VerbArguments: Sendable {
    public let words: [String]
    /// The cluster's node ids, when the reader knows them (the console does, the CLI leaves it to the cluster).
    public let members: [String]?
    /// The verb's usage, for a wrong number of words.
    public let usage: AmountError

    /// How many words follow the verb.
    public var count: Int { words.count }
    /// The `i`th word after the verb.
    public subscript(_ i: Int) -> String { words[i] }

    /// Refuses anything but `range` words.
    public func expect(_ range: ClosedRange<Int>) throws { guard range.contains(words.count) else { throw usage } }

    /// A member's id.
    public func member(_ id: String) throws -> String {
        guard NodeTarget.isNodeID(id), id != "leader", id != "all" else { throw AmountError.expected("a node id", got: id) }
        if let members, !members.contains(id) { throw AmountError("unknown node \(id); the nodes are \(members.joined(separator: ", "))") }
        return id
    }

    /// The only word, a member's id.
    public func onlyMember() throws -> String {
        try expect(1...1)
        return try member(words[0])
    }

    /// A node, `leader` or `all`.
    public func target(_ text: String) throws -> NodeTarget {
        let t = try NodeTarget(parsing: text)
        if case .node(let id) = t, let members, !members.contains(id) {
            throw AmountError("unknown node \(id); the nodes are \(members.joined(separator: ", ")), or leader, all")
        }
        return t
    }

    /// Links whose ends are members.
    public func links(_ text: String) throws -> LinkTarget {
        let l = try LinkTarget(parsing: text)
        for id in l.nodes { _ = try member(id) }
        return l
    }

    /// A duration of at most `max` ms, named `what` in a refusal.
    public func span(_ text: String, _ what: String, max: Int) throws -> TimeSpan {
        let s: TimeSpan
        do { s = try TimeSpan(parsing: text) } catch let error as AmountError { throw error.about(what) }
        guard s.milliseconds <= max else { throw AmountError("\(what) must be between 0 and \(max) ms, got '\(text)'") }
        return s
    }

    /// `--name value` options among `words` (all of them unless given); what is left stays in order.
    public func options(_ names: [String], in some: [String]? = nil) throws -> (found: [String: String], rest: [String]) {
        let words = some ?? self.words
        var found: [String: String] = [:]
        var rest: [String] = []
        var i = 0
        while i < words.count {
            let w = words[i]
            if w.hasPrefix("--") {
                guard names.contains(w) else { throw AmountError("unknown option \(w); the options are \(names.joined(separator: ", "))") }
                guard i + 1 < words.count else { throw AmountError("\(w) needs a value") }
                found[w] = words[i + 1]
                i += 2
            } else {
                rest.append(w)
                i += 1
            }
        }
        return (found, rest)
    }

    /// A whole number of at least `min`, named `what` in a refusal.
    public func integer(_ text: String, _ what: String, min: Int) throws -> Int {
        guard let n = Int(text), n >= min else { throw AmountError("\(what): expected a whole number of at least \(min), got '\(text)'") }
        return n
    }
}
