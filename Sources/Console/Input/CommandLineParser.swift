import FlotillaAPI
import Foundation
import Orchestrator

/// The `:` command line: every CLI operation by name, parsed into the same actions the keys
/// ask for. Pure, so what a line does can be tested without a cluster.
public enum CommandLineParser {
    public struct Verb: Sendable {
        public var usage: String
        public var help: String
        /// Changes the cluster (refused in --readonly).
        public var mutates: Bool
        public var name: String { String(usage.prefix { $0 != " " }) }
    }

    public static let verbs: [Verb] = [
        Verb(usage: "kill N", help: "SIGKILL a node", mutates: true),
        Verb(usage: "restart N", help: "start a node again on its data", mutates: true),
        Verb(usage: "pause N", help: "SIGSTOP a node", mutates: true),
        Verb(usage: "resume N", help: "SIGCONT a node", mutates: true),
        Verb(usage: "partition SPEC", help: "n1,n2|n3, n1->n2, leader, minority, majorities-ring, bridge", mutates: true),
        Verb(usage: "isolate N|leader", help: "cut one node off from the others", mutates: true),
        Verb(usage: "heal", help: "clear every fault rule and verify", mutates: true),
        Verb(usage: "panic", help: "heal, resume all, stop the load, recovery to advise", mutates: true),
        Verb(usage: "transfer [N]", help: "hand leadership to N or the most caught-up voter", mutates: true),
        Verb(usage: "scale +1|-1 [N]|SIZE", help: "add a node, remove one, or grow/shrink to a size", mutates: true),
        Verb(usage: "approve N", help: "admit a pending join", mutates: true),
        Verb(usage: "deny N", help: "refuse a pending join", mutates: true),
        Verb(usage: "submit [KIND k=v …]", help: "submit a task (default: sleep ms=200)", mutates: true),
        Verb(usage: "cancel ID", help: "cancel a task", mutates: true),
        Verb(usage: "load on|off", help: "a steady load of submits", mutates: true),
        Verb(usage: "recover off|advise|auto", help: "the recovery mode", mutates: true),
        Verb(usage: "tasks [N|STATE|all]", help: "show only one node's or one state's tasks", mutates: false),
        Verb(usage: "filter TEXT", help: "show only events containing TEXT", mutates: false),
        Verb(usage: "help", help: "the help screen", mutates: false),
        Verb(usage: "quit", help: "leave the console", mutates: false),
    ]

    static let taskStates = TaskState.known.map(\.rawValue)

    /// The action a line asks for, or why it cannot be done.
    public static func parse(_ line: String, model m: ConsoleModel) -> Result<ConsoleAction, CommandLineError> {
        let words = line.split(separator: " ").map(String.init)
        guard let verb = words.first else { return .failure(CommandLineError("empty command; ? lists the commands")) }
        guard let known = verbs.first(where: { $0.name == verb }) ?? (verb == "q" ? verbs.last : nil) else {
            return .failure(CommandLineError("unknown command \"\(verb)\"; the commands are \(verbs.map(\.name).joined(separator: ", "))"))
        }
        if known.mutates, m.readonly { return .failure(CommandLineError("\(verb): read-only console (--readonly)")) }
        let args = Array(words.dropFirst())
        let rest = args.joined(separator: " ")

        func node(_ i: Int = 0) -> Result<String, CommandLineError> {
            guard args.indices.contains(i) else { return .failure(CommandLineError("usage: \(known.usage)")) }
            let id = args[i]
            guard m.snapshot.node(id) != nil else {
                return .failure(CommandLineError("unknown node \(id); the nodes are \(m.snapshot.nodes.map(\.id).joined(separator: ", "))"))
            }
            return .success(id)
        }

        switch known.name {
        case "kill": return node().map(ConsoleAction.kill)
        case "restart": return node().map(ConsoleAction.restart)
        case "pause": return node().map(ConsoleAction.pause)
        case "resume": return node().map(ConsoleAction.resume)
        case "isolate":
            if args.first == "leader" { return .success(.isolate("leader")) }
            return node().map(ConsoleAction.isolate)
        case "partition":
            return rest.isEmpty ? .failure(CommandLineError("usage: \(known.usage)")) : .success(.partition(rest))
        case "heal": return .success(.heal)
        case "panic": return .success(.panic)
        case "transfer": return args.isEmpty ? .success(.transferAny) : node().map(ConsoleAction.transfer)
        case "scale":
            switch args.first {
            case "+1"?: return .success(.scaleUp)
            case "-1"?:
                if args.count > 1 { return node(1).map(ConsoleAction.scaleDown) }
                return m.selectedNode.map { .success(.scaleDown($0)) } ?? .failure(CommandLineError("scale -1: no node selected"))
            case let n? where Int(n) != nil:
                guard let size = Int(n), size >= 1 else { return .failure(CommandLineError("cannot scale below one node")) }
                return .success(.scaleTo(size))
            default: return .failure(CommandLineError("usage: \(known.usage)"))
            }
        case "approve", "deny":
            guard let id = args.first else { return .failure(CommandLineError("usage: \(known.usage)")) }
            return .success(known.name == "approve" ? .approve(id) : .deny(id))
        case "submit": return .success(.submit(rest.isEmpty ? "sleep ms=200" : rest))
        case "cancel":
            guard let id = args.first else { return .failure(CommandLineError("usage: \(known.usage)")) }
            return .success(.cancel(id))
        case "load":
            switch args.first {
            case "on"?: return .success(.setLoad(true))
            case "off"?: return .success(.setLoad(false))
            default: return .failure(CommandLineError("usage: \(known.usage)"))
            }
        case "recover":
            guard let mode = args.first.flatMap(RecoveryMode.init(rawValue:)) else { return .failure(CommandLineError("usage: \(known.usage)")) }
            return .success(.setRecovery(mode))
        case "tasks":
            switch args.first {
            case nil, "all"?: return .success(.taskFilter(node: nil, state: nil))
            case let f? where m.snapshot.node(f) != nil: return .success(.taskFilter(node: f, state: m.taskState))
            case let f? where TaskState.named(f).isKnown: return .success(.taskFilter(node: m.taskNode, state: .named(f)))
            case let f?: return .failure(CommandLineError("tasks: \(f) is neither a node nor a state (\(taskStates.joined(separator: ", ")))"))
            }
        case "filter": return .success(.filter(rest))
        case "help": return .success(.help)
        default: return .success(.quit)
        }
    }

    /// Completes the word under the cursor: a verb first, then node ids. With several
    /// candidates it completes their common prefix and returns them all to show.
    public static func complete(_ text: String, model m: ConsoleModel) -> (text: String, candidates: [String]) {
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let last = words.last ?? ""
        let pool: [String]
        if words.count <= 1 {
            pool = verbs.map(\.name)
        } else if words.first == "recover" {
            pool = RecoveryMode.allCases.map(\.rawValue)
        } else if words.first == "load" {
            pool = ["on", "off"]
        } else {
            pool = m.snapshot.nodes.map(\.id) + (words.first == "tasks" ? taskStates + ["all"] : [])
                + (["isolate", "partition"].contains(words.first ?? "") ? ["leader"] : [])
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
    init(_ d: String) { description = d }
}
