import FlotillaAPI
import Foundation

/// The one grammar of operator commands: the verb table, reading a line into an
/// `OperatorCommand` (the console's `:` line; the CLI reads the same amounts with the same
/// types), completing a word, and the README's fault table. `parse(c.description) == c` for every command.
public enum OperatorGrammar {
    public static let verbs: [VerbForm] = [
        VerbForm(name: "kill", usage: "kill N", help: "SIGKILL a node", example: "kill n2", slots: [.node], keys: ["k"],
                 cli: "kill n2", chaos: "kill"),
        VerbForm(name: "restart", usage: "restart N", help: "start a node again on its data", example: "restart n2", slots: [.node],
                 keys: ["r"], cli: "restart n2", chaos: "kill"),
        VerbForm(name: "replace", usage: "replace N", help: "remove a node, start it empty, catch it up, promote it", example: "replace n3",
                 slots: [.node], keys: ["X"], cli: "replace n3"),
        VerbForm(name: "pause", usage: "pause N", help: "SIGSTOP a node", example: "pause n1", slots: [.node], keys: ["z"],
                 cli: "pause n1", chaos: "pause"),
        VerbForm(name: "resume", usage: "resume N", help: "SIGCONT a node", example: "resume n1", slots: [.node], keys: ["z"],
                 cli: "resume n1", chaos: "pause"),
        VerbForm(name: "partition", usage: "partition SPEC", help: "n1,n2|n3, n1->n2, leader, minority, majorities-ring, bridge",
                 example: "partition n1,n2|n3", slots: [.shape], keys: [], cli: "partition 'n1,n2|n3'", chaos: "partition, one-way",
                 apiField: "drop, direction"),
        VerbForm(name: "isolate", usage: "isolate N|leader", help: "cut one node off from the others", example: "isolate leader",
                 slots: [.nodeOrLeader], keys: ["p"], cli: "isolate leader", chaos: "partition", apiField: "drop"),
        VerbForm(name: "delay", usage: "delay LINKS DURATION [JITTER]", help: "hold messages back, e.g. n1->n2 100ms 20ms; 0 clears",
                 example: "delay n1->n2 100ms 20ms", slots: [.links, .typed, .typed], keys: ["d"], cli: "delay 'n1->n2' 100ms --jitter 20ms",
                 chaos: "link", apiField: "delayMs, jitterMs, links.ID.delayMs"),
        VerbForm(name: "loss", usage: "loss LINKS SHARE", help: "lose a share of the messages, e.g. n3 10%; 0 clears",
                 example: "loss n3 10%", slots: [.links, .typed], keys: ["o"], cli: "loss n3 10%", chaos: "link", apiField: "loss, links.ID.loss"),
        VerbForm(name: "duplicate", usage: "duplicate LINKS SHARE", help: "send a share of the messages twice, e.g. all 5%",
                 example: "duplicate all 5%", slots: [.links, .typed], keys: [], cli: "duplicate all 5%", chaos: "link", apiField: "duplicate"),
        VerbForm(name: "reorder", usage: "reorder LINKS SHARE", help: "let later messages overtake a share, e.g. n1<->n2 20%",
                 example: "reorder n1<->n2 20%", slots: [.links, .typed], keys: [], cli: "reorder 'n1<->n2' 20%", chaos: "link",
                 apiField: "reorder"),
        VerbForm(name: "disk", usage: "disk N slow DURATION|full|ok", help: "slow fsyncs, a full disk, or healthy (N, leader, all)",
                 example: "disk n2 slow 50ms", slots: [.nodeTarget, .choice(["slow", "full", "ok"]), .typed], keys: ["f"],
                 cli: "disk n2 slow 50ms", chaos: "disk", apiField: "fsyncDelayMs, diskFull"),
        VerbForm(name: "skew", usage: "skew N RATE", help: "run a node's clock fast or slow: 3x, 0.5x; 1x is true", example: "skew n2 3x",
                 slots: [.nodeTarget, .choice(["3x", "0.5x", "1x"])], keys: ["w"], cli: "skew n2 3x", chaos: "skew", apiField: "clockRate"),
        VerbForm(name: "heal", usage: "heal", help: "clear every fault rule and verify", example: "heal", slots: [], keys: ["h"], cli: "heal"),
        VerbForm(name: "panic", usage: "panic", help: "heal, resume all, stop the load, recovery to advise", example: "panic", slots: [],
                 keys: [], cli: "panic"),
        VerbForm(name: "transfer", usage: "transfer [N]", help: "hand leadership to N or the most caught-up voter", example: "transfer n3",
                 slots: [.node], keys: ["t"], cli: "transfer n3", chaos: "transfer"),
        VerbForm(name: "scale", usage: "scale +K|-K|-1 N|SIZE", help: "add nodes, remove some (or N), or grow/shrink to a size",
                 example: "scale -1 n4", slots: [.choice(["+1", "-1"]), .node], keys: ["+", "-"], cli: "scale -1 --node n4", chaos: "scale"),
        VerbForm(name: "approve", usage: "approve N", help: "admit a pending join", example: "approve n4", slots: [.node], keys: ["a"],
                 cli: "approve n4"),
        VerbForm(name: "deny", usage: "deny N", help: "refuse a pending join", example: "deny n4", slots: [.node], keys: [], cli: "approve n4 --deny"),
        VerbForm(name: "submit", usage: "submit KIND [k=v …]", help: "submit a task (--count N, --target N; bare: sleep ms=200)",
                 example: "submit hash rounds=1000 --count 3", slots: [.choice(["sleep", "echo", "hash", "fail", "shell"])], keys: ["s"],
                 cli: "submit --kind hash --arg rounds=1000 --count 3"),
        VerbForm(name: "cancel", usage: "cancel ID", help: "cancel a task", example: "cancel t-4", slots: [.typed], keys: [], cli: "cancel t-4"),
        VerbForm(name: "load", usage: "load on [KIND k=v …]|off", help: "a steady load of submits and reads (--rate R, --duration D)",
                 example: "load on echo text=hi --rate 50", slots: [.choice(["on", "off"])], keys: ["l"], cli: "load --rate 50 --duration 30s"),
        VerbForm(name: "recover", usage: "recover off|advise|auto", help: "the recovery mode", example: "recover auto",
                 slots: [.choice(RecoveryMode.allCases.map(\.rawValue))], keys: ["R"], cli: "supervise --recover auto"),
    ]

    public static func form(_ verb: String) -> VerbForm? { verbs.first { $0.name == verb } }

    /// Reads one `:` line. With `members`, node ids are checked against them too.
    public static func parse(_ line: String, members: [String]? = nil) throws -> OperatorCommand {
        try parse(words: line.split(separator: " ").map(String.init), members: members)
    }

    /// Reads a command's words (the verb first). Every error names the verb and says what was expected.
    public static func parse(words: [String], members: [String]? = nil) throws -> OperatorCommand {
        guard let verb = words.first else { throw AmountError("empty command; the commands are \(verbs.map(\.name).joined(separator: ", "))") }
        guard let form = form(verb) else {
            throw AmountError("unknown command \"\(verb)\"; the commands are \(verbs.map(\.name).joined(separator: ", "))")
        }
        do {
            return try parse(form, Array(words.dropFirst()), members: members)
        } catch let error as AmountError {
            throw error.description.hasPrefix("usage:") ? error : error.about(verb)
        }
    }

    private static func parse(_ form: VerbForm, _ args: [String], members: [String]?) throws -> OperatorCommand {
        let usage = AmountError("usage: \(form.usage), e.g. \(form.example)")
        func count(_ range: ClosedRange<Int>) throws { guard range.contains(args.count) else { throw usage } }
        func member(_ id: String) throws -> String {
            guard NodeTarget.isNodeID(id), id != "leader", id != "all" else { throw AmountError.expected("a node id", got: id) }
            if let members, !members.contains(id) {
                throw AmountError("unknown node \(id); the nodes are \(members.joined(separator: ", "))")
            }
            return id
        }
        func target(_ text: String) throws -> NodeTarget {
            let t = try NodeTarget(parsing: text)
            if case .node(let id) = t, let members, !members.contains(id) {
                throw AmountError("unknown node \(id); the nodes are \(members.joined(separator: ", ")), or leader, all")
            }
            return t
        }
        func links(_ text: String) throws -> LinkTarget {
            let l = try LinkTarget(parsing: text)
            for id in l.nodes { _ = try member(id) }
            return l
        }
        func span(_ text: String, _ what: String, max: Int) throws -> TimeSpan {
            let s: TimeSpan
            do { s = try TimeSpan(parsing: text) } catch let error as AmountError { throw error.about(what) }
            guard s.milliseconds <= max else { throw AmountError("\(what) must be between 0 and \(max) ms, got '\(text)'") }
            return s
        }
        /// `--name value` options out of `words`; what is left stays in order.
        func options(_ words: [String], _ names: [String]) throws -> (found: [String: String], rest: [String]) {
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
        func integer(_ text: String, _ what: String, min: Int) throws -> Int {
            guard let n = Int(text), n >= min else { throw AmountError("\(what): expected a whole number of at least \(min), got '\(text)'") }
            return n
        }

        switch form.name {
        case "kill", "restart", "pause", "resume", "replace":
            try count(1...1)
            let id = try member(args[0])
            switch form.name {
            case "kill": return .kill(node: id)
            case "restart": return .restart(node: id)
            case "pause": return .pause(node: id)
            case "resume": return .resume(node: id)
            default: return .replace(node: id)
            }
        case "approve", "deny":
            // A pending join is not a member yet: its id is only checked for its form.
            try count(1...1)
            guard NodeTarget.isNodeID(args[0]) else { throw AmountError.expected("a node id", got: args[0]) }
            return form.name == "approve" ? .approve(node: args[0]) : .deny(node: args[0])
        case "cancel":
            try count(1...1)
            return .cancel(task: args[0])
        case "partition":
            guard !args.isEmpty else { throw usage }
            let shape = try PartitionShape(parsing: args.joined())
            for id in shape.nodes { _ = try member(id) }
            return .partition(shape: shape)
        case "isolate":
            try count(1...1)
            return .partition(shape: .isolate(node: args[0] == "leader" ? "leader" : try member(args[0])))
        case "heal", "panic":
            try count(0...0)
            return form.name == "heal" ? .heal : .panic
        case "transfer":
            try count(0...1)
            return .transfer(to: try args.first.map { (id) throws in try member(id) })
        case "scale":
            let purge = args.contains("--purge")
            let words = args.filter { $0 != "--purge" }
            guard !words.isEmpty else { throw usage }
            let change = try ScaleChange(parsing: words)
            if case .removeNode(let id) = change { _ = try member(id) }
            return .scale(change: change, purge: purge)
        case "delay":
            // `delay LINKS 100ms 20ms`, or with the CLI's spelling `delay LINKS 100ms --jitter 20ms`.
            let (found, rest) = try options(args, ["--jitter"])
            guard (2...3).contains(rest.count), !(rest.count == 3 && found["--jitter"] != nil) else { throw usage }
            let l = try links(rest[0])
            let d = try span(rest[1], "the delay", max: LinkFaultSpec.maxMs)
            let jitterText = rest.count == 3 ? rest[2] : found["--jitter"]
            let j = try jitterText.map { (t) throws in try span(t, "the jitter", max: LinkFaultSpec.maxMs) } ?? TimeSpan(milliseconds: 0)
            return .delay(links: l, delay: d, jitter: j)
        case "loss", "duplicate", "reorder":
            try count(2...2)
            let l = try links(args[0])
            let share = try Share(parsing: args[1])
            switch form.name {
            case "loss": return .loss(links: l, share: share)
            case "duplicate": return .duplicate(links: l, share: share)
            default: return .reorder(links: l, share: share)
            }
        case "disk":
            guard args.count >= 2 else { throw usage }
            return .disk(node: try target(args[0]), fault: try DiskFault(parsing: Array(args.dropFirst())))
        case "skew":
            try count(2...2)
            return .skew(node: try target(args[0]), rate: try ClockRate(parsing: args[1]))
        case "submit":
            let (found, rest) = try options(args, ["--count", "--target", "--key", "--max-attempts"])
            guard let kind = rest.first, !kind.contains("=") else { throw usage }
            var order = TaskOrder(kind: kind, args: try KeyValueList(parsing: Array(rest.dropFirst())))
            if let c = found["--count"] { order.count = try integer(c, "--count", min: 1) }
            if let t = found["--target"] { order.target = try member(t) }
            order.key = found["--key"]
            if let m = found["--max-attempts"] { order.maxAttempts = try integer(m, "--max-attempts", min: 1) }
            return .submit(order: order)
        case "load":
            switch args.first {
            case "off"?:
                try count(1...1)
                return .load(plan: nil)
            case "on"?:
                let (found, rest) = try options(Array(args.dropFirst()), ["--rate", "--read-every", "--duration"])
                var plan = LoadPlan.standard
                if let kind = rest.first {
                    guard !kind.contains("=") else { throw AmountError("load on takes the task kind before its KEY=VALUE arguments, got '\(kind)'") }
                    plan.kind = kind
                    plan.args = try KeyValueList(parsing: Array(rest.dropFirst()))
                }
                if let r = found["--rate"] {
                    guard let rate = Double(r), rate > 0, rate <= LoadPlan.maxRate else {
                        throw AmountError("--rate: expected operations per second above 0 and at most \(Int(LoadPlan.maxRate)), got '\(r)'")
                    }
                    plan.rate = rate
                }
                if let n = found["--read-every"] { plan.readEvery = try integer(n, "--read-every", min: 0) }
                if let d = found["--duration"] {
                    do { plan.duration = try TimeSpan(parsing: d) } catch let error as AmountError { throw error.about("--duration") }
                }
                return .load(plan: plan)
            default: throw usage
            }
        case "recover":
            try count(1...1)
            guard let mode = RecoveryMode(rawValue: args[0]) else { throw usage }
            return .recover(mode: mode)
        default:
            throw usage
        }
    }

    /// A rate or other amount without a needless `.0`.
    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? "\(Int(v))" : "\(v)" }

    /// What the word being typed (the last of `words`, the verb first) may become: verbs, then per
    /// argument the node ids, shapes, link ends or words its slot takes. Empty: nothing to offer.
    public static func candidates(_ words: [String], members ids: [String]) -> [String] {
        guard words.count > 1 else { return verbs.map(\.name) }
        guard let form = form(words[0]) else { return [] }
        let position = words.count - 2
        guard form.slots.indices.contains(position) else { return [] }
        let last = words[words.count - 1]
        switch form.slots[position] {
        case .node: return ids
        case .nodeOrLeader: return ids + ["leader"]
        case .nodeTarget: return ids + ["leader", "all"]
        case .shape: return PartitionShape.named + ids
        case .links:
            // After an arrow, the node at the other end.
            if let arrow = ["<->", "->"].first(where: { last.contains($0) }), let r = last.range(of: arrow) {
                let from = String(last[..<r.upperBound])
                return ids.filter { $0 != String(last[..<r.lowerBound]) }.map { from + $0 }
            }
            return ids + ["all"]
        case .choice(let words):
            // `disk N slow` takes a typed duration after it, not another word.
            return words
        case .typed: return []
        }
    }

    /// The README's fault table: each verb and where it can be given.
    public static var faultTable: String {
        func code(_ s: String) -> String { "`\(s.replacingOccurrences(of: "|", with: "\\|"))`" }
        var rows = ["| verb | does | key | `:` line | CLI | chaos kind | `PUT /v1/faults` field |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for v in verbs {
            let keys = v.keys.isEmpty ? "—" : v.keys.map(code).joined(separator: " ")
            let chaos = v.chaos.map { $0.split(separator: ",").map { code($0.trimmingCharacters(in: .whitespaces)) }.joined(separator: ", ") } ?? "—"
            let api = v.apiField.map { $0.split(separator: ",").map { code($0.trimmingCharacters(in: .whitespaces)) }.joined(separator: ", ") } ?? "—"
            rows.append("| \(v.name) | \(v.help.replacingOccurrences(of: "|", with: "\\|")) | \(keys) | \(code(":" + v.example)) | \(code("flotilla " + v.cli)) | \(chaos) | \(api) |")
        }
        return rows.joined(separator: "\n")
    }
}
