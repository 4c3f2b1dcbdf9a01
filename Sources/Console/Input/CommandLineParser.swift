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
        Verb(usage: "replace N", help: "remove a node, start it empty, catch it up, promote it", mutates: true),
        Verb(usage: "pause N", help: "SIGSTOP a node", mutates: true),
        Verb(usage: "resume N", help: "SIGCONT a node", mutates: true),
        Verb(usage: "partition SPEC", help: "n1,n2|n3, n1->n2, leader, minority, majorities-ring, bridge", mutates: true),
        Verb(usage: "isolate N|leader", help: "cut one node off from the others", mutates: true),
        Verb(usage: "delay LINKS MS [JITTER]", help: "hold messages back, e.g. n1->n2 100ms 20ms; 0 clears", mutates: true),
        Verb(usage: "loss LINKS SHARE", help: "lose a share of the messages, e.g. n3 10%; 0 clears", mutates: true),
        Verb(usage: "duplicate LINKS SHARE", help: "send a share of the messages twice, e.g. all 5%", mutates: true),
        Verb(usage: "reorder LINKS SHARE", help: "let later messages overtake a share, e.g. n1<->n2 20%", mutates: true),
        Verb(usage: "disk N slow MS|full|ok", help: "slow fsyncs, a full disk, or healthy (N, leader, all)", mutates: true),
        Verb(usage: "skew N RATE", help: "run a node's clock fast or slow: 3x, 0.5x; 1x is true", mutates: true),
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
    /// The verbs whose first argument is LINKS: `n1->n2`, `n1<->n2`, `n3` or `all`.
    static let linkVerbs = ["delay", "loss", "duplicate", "reorder"]
    /// The verbs whose first argument is a node, `leader` or `all`.
    static let nodeFaultVerbs = ["disk", "skew"]
    static let linksRule = "LINKS is n1->n2, n1<->n2, a node (all its links) or all"

    /// A duration in whole ms as `FaultValue` reads it, at most `max`.
    static func milliseconds(_ text: String, _ what: String, max: Int) -> Result<Int, CommandLineError> {
        let ms: Int
        do { ms = try FaultValue.milliseconds(text, what) } catch { return .failure(CommandLineError("\(error)")) }
        guard ms <= max else { return .failure(CommandLineError("\(what) must be between 0 and \(max) ms (got \(text))")) }
        return .success(ms)
    }

    /// A share of the messages as `FaultValue` reads it.
    static func share(_ text: String, _ verb: String) -> Result<Double, CommandLineError> {
        do { return .success(try FaultValue.share(text)) } catch { return .failure(CommandLineError("\(verb): \(error)")) }
    }

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

        /// LINKS as the operations take it, checked against the members now.
        func links() -> Result<String, CommandLineError> {
            guard let spec = args.first else { return .failure(CommandLineError("usage: \(known.usage) (\(linksRule))")) }
            do {
                _ = try LinkSelection.parse(spec, members: m.snapshot.nodes.map(\.id))
                return .success(spec)
            } catch {
                return .failure(CommandLineError("\(verb): \(error) (\(linksRule))"))
            }
        }
        /// A node, `leader` or `all`.
        func target() -> Result<String, CommandLineError> {
            guard let id = args.first else { return .failure(CommandLineError("usage: \(known.usage)")) }
            if id == "leader" || id == "all" || m.snapshot.node(id) != nil { return .success(id) }
            return .failure(CommandLineError("\(verb): unknown node \(id); the nodes are \(m.snapshot.nodes.map(\.id).joined(separator: ", ")), or leader, all"))
        }

        switch known.name {
        case "kill": return node().map(ConsoleAction.kill)
        case "restart": return node().map(ConsoleAction.restart)
        case "replace": return node().map(ConsoleAction.replace)
        case "pause": return node().map(ConsoleAction.pause)
        case "resume": return node().map(ConsoleAction.resume)
        case "isolate":
            if args.first == "leader" { return .success(.isolate("leader")) }
            return node().map(ConsoleAction.isolate)
        case "partition":
            return rest.isEmpty ? .failure(CommandLineError("usage: \(known.usage)")) : .success(.partition(rest))
        case "delay":
            // `delay LINKS 100ms 20ms`, or with the CLI's spelling `delay LINKS 100ms --jitter 20ms`.
            var times = Array(args.dropFirst())
            if let j = times.firstIndex(of: "--jitter"), j + 1 < times.count, j == 1 { times.remove(at: j) }
            guard (1...2).contains(times.count) else { return .failure(CommandLineError("usage: \(known.usage), e.g. delay n1->n2 100ms 20ms")) }
            return links().flatMap { spec in
                milliseconds(times[0], "delay: the delay", max: LinkFaultSpec.maxMs).flatMap { ms in
                    (times.count == 2 ? milliseconds(times[1], "delay: the jitter", max: LinkFaultSpec.maxMs) : .success(0))
                        .map { .delay(spec, ms: ms, jitter: $0) }
                }
            }
        case "loss", "duplicate", "reorder":
            guard args.count == 2 else { return .failure(CommandLineError("usage: \(known.usage), e.g. \(known.name) n3 10%")) }
            return links().flatMap { spec in
                share(args[1], known.name).map { p in
                    known.name == "loss" ? .loss(spec, p) : known.name == "duplicate" ? .duplicate(spec, p) : .reorder(spec, p)
                }
            }
        case "disk":
            guard args.count >= 2 else { return .failure(CommandLineError("usage: \(known.usage)")) }
            return target().flatMap { t in
                let fault: DiskFault
                do { fault = try DiskFault.parse(Array(args.dropFirst())) } catch { return .failure(CommandLineError("disk: \(error)")) }
                if case .slow(let ms) = fault, ms > FaultSpec.maxFsyncDelayMs {
                    return .failure(CommandLineError("disk: a slow disk adds between 0 and \(FaultSpec.maxFsyncDelayMs) ms to each fsync"))
                }
                return .success(.disk(t, fault))
            }
        case "skew":
            guard args.count == 2 else { return .failure(CommandLineError("usage: \(known.usage), e.g. skew n2 3x")) }
            return target().flatMap { t in
                do { return .success(.skew(t, try parseClockRate(args[1]))) } catch { return .failure(CommandLineError("skew: \(error)")) }
            }
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
        let ids = m.snapshot.nodes.map(\.id)
        let verb = words.first ?? ""
        if words.count <= 1 {
            pool = verbs.map(\.name)
        } else if linkVerbs.contains(verb), words.count == 2 {
            // After an arrow, the node at the other end.
            if let arrow = ["<->", "->"].first(where: { last.contains($0) }), let r = last.range(of: arrow) {
                let from = String(last[..<r.upperBound])
                pool = ids.filter { $0 != String(last[..<r.lowerBound]) }.map { from + $0 }
            } else {
                pool = ids + ["all"]
            }
        } else if nodeFaultVerbs.contains(verb), words.count == 2 {
            pool = ids + ["leader", "all"]
        } else if verb == "disk", words.count == 3 {
            pool = ["slow", "full", "ok"]
        } else if verb == "skew", words.count == 3 {
            pool = ["3x", "0.5x", "1x"]
        } else if linkVerbs.contains(verb) || nodeFaultVerbs.contains(verb) {
            pool = []
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
