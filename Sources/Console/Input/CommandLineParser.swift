import FlotillaAPI
import Foundation
import Orchestrator

/// The `:` command line: every operator command in the words of `OperatorGrammar` (the grammar
/// the CLI's amounts use too), plus the console's own view verbs. Pure, so what a line does can
/// be tested without a cluster.
public enum CommandLineParser {
    public struct Verb: Sendable {
        public var usage: String
        public var help: String
        /// Changes the cluster (refused in --readonly).
        public var mutates: Bool
        public var name: String { String(usage.prefix { $0 != " " }) }
    }

    /// The console's own verbs: they change only what the console shows.
    static let viewVerbs: [Verb] = [
        Verb(usage: "tasks [N|STATE|all]", help: "show only one node's or one state's tasks", mutates: false),
        Verb(usage: "filter TEXT", help: "show only events containing TEXT", mutates: false),
        Verb(usage: "help", help: "the help screen", mutates: false),
        Verb(usage: "quit", help: "leave the console", mutates: false),
    ]

    /// Every verb the line takes, the operator grammar's first.
    public static let verbs: [Verb] = OperatorGrammar.verbs.map { Verb(usage: $0.usage, help: $0.help, mutates: true) } + viewVerbs

    static let taskStates = TaskState.known.map(\.rawValue)

    /// What a bare `submit` submits.
    static let defaultSubmit = "sleep ms=200"

    /// The action a line asks for, or why it cannot be done.
    public static func parse(_ line: String, model m: ConsoleModel) -> Result<ConsoleAction, CommandLineError> {
        var words = line.split(separator: " ").map(String.init)
        guard let verb = words.first else { return .failure(CommandLineError("empty command; ? lists the commands")) }
        guard let known = verbs.first(where: { $0.name == verb }) ?? (verb == "q" ? verbs.last : nil) else {
            return .failure(CommandLineError("unknown command \"\(verb)\"; the commands are \(verbs.map(\.name).joined(separator: ", "))"))
        }
        if known.mutates, m.readonly { return .failure(CommandLineError("\(verb): read-only console (--readonly)")) }
        let args = Array(words.dropFirst())
        switch known.name {
        case "tasks":
            switch args.first {
            case nil, "all"?: return .success(.taskFilter(node: nil, state: nil))
            case let f? where m.snapshot.node(f) != nil: return .success(.taskFilter(node: f, state: m.taskState))
            case let f? where TaskState.named(f).isKnown: return .success(.taskFilter(node: m.taskNode, state: .named(f)))
            case let f?: return .failure(CommandLineError("tasks: \(f) is neither a node nor a state (\(taskStates.joined(separator: ", ")))"))
            }
        case "filter": return .success(.filter(args.joined(separator: " ")))
        case "help": return .success(.help)
        case "quit": return .success(.quit)
        default: break
        }
        // The console's conveniences: a bare submit, and `scale -1` removing the selected node.
        if verb == "submit", args.isEmpty { words += defaultSubmit.split(separator: " ").map(String.init) }
        if verb == "scale", args == ["-1"] {
            guard let selected = m.selectedNode else { return .failure(CommandLineError("scale -1: no node selected")) }
            words.append(selected)
        }
        let command: OperatorCommand
        do { command = try OperatorGrammar.parse(words: words, members: m.snapshot.nodes.map(\.id)) } catch {
            return .failure(CommandLineError("\(error)"))
        }
        if command.needsLocalProcesses, !m.local { return .failure(CommandLineError("\(verb): the nodes are not local processes (--connect)")) }
        return .success(.run(command))
    }

    /// Completes the word under the cursor from the grammar: a verb first, then what each
    /// argument takes (node ids, shapes, link ends, words). With several candidates it completes
    /// their common prefix and returns them all to show.
    public static func complete(_ text: String, model m: ConsoleModel) -> (text: String, candidates: [String]) {
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let last = words.last ?? ""
        let ids = m.snapshot.nodes.map(\.id)
        let pool: [String]
        switch words.first {
        case _ where words.count <= 1: pool = verbs.map(\.name)
        case "tasks"?: pool = words.count == 2 ? ids + taskStates + ["all"] : []
        case "filter"?, "help"?, "quit"?: pool = []
        // A join waiting for approval is no member yet: offer the pending ids.
        case "approve"?, "deny"?: pool = words.count == 2 ? m.snapshot.pending.map(\.id) : []
        default: pool = OperatorGrammar.candidates(words, members: ids)
        }
        let matches = pool.filter { $0.hasPrefix(last) }
        guard !matches.isEmpty else { return (text, []) }
        if matches.count == 1 {
            words[words.count - 1] = matches[0]
            return (words.joined(separator: " ") + " ", [])
        }
        var prefix = matches[0]
        for m in matches.dropFirst() { while !m.hasPrefix(prefix) { prefix.removeLast() } }
        words[words.count - 1] = prefix
        return (words.joined(separator: " "), matches)
    }
}

/// Why a command line cannot be run, in words for the event panel.
public struct CommandLineError: Error, Equatable, CustomStringConvertible {
    public var description: String
    init(_ d: String) { self.description = d }
}
