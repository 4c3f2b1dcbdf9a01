import FlotillaAPI
import Foundation

/// The one grammar of operator commands: the verb table (each row reads its verb's words),
/// reading a line into an `OperatorCommand` (the console's `:` line and the CLI), completing a
/// word, and the README's fault table. `parse(c.description) == c` for every command.
public enum OperatorGrammar {
    public static let verbs: [VerbForm] = [
        VerbForm(name: "kill", usage: "kill N", help: "SIGKILL a node", example: "kill n2", slots: [.node], keys: ["k"],
                 cli: "kill n2", chaos: "kill") { .kill(node: try $0.onlyMember()) },
        VerbForm(name: "restart", usage: "restart N", help: "start a node again on its data", example: "restart n2", slots: [.node],
                 keys: ["r"], cli: "restart n2", chaos: "kill") { .restart(node: try $0.onlyMember()) },
        VerbForm(name: "replace", usage: "replace N", help: "remove a node, start it empty, catch it up, promote it", example: "replace n3",
                 slots: [.node], keys: ["X"], cli: "replace n3") { .replace(node: try $0.onlyMember()) },
        VerbForm(name: "pause", usage: "pause N", help: "SIGSTOP a node", example: "pause n1", slots: [.node], keys: ["z"],
                 cli: "pause n1", chaos: "pause") { .pause(node: try $0.onlyMember()) },
        VerbForm(name: "resume", usage: "resume N", help: "SIGCONT a node", example: "resume n1", slots: [.node], keys: ["z"],
                 cli: "resume n1", chaos: "pause") { .resume(node: try $0.onlyMember()) },
        VerbForm(name: "partition", usage: "partition SPEC", help: "n1,n2|n3, n1->n2, leader, minority, majorities-ring, bridge",
                 example: "partition n1,n2|n3", slots: [.shape], keys: [], cli: "partition 'n1,n2|n3'", chaos: "partition, one-way",
                 apiField: "drop, direction") { a in
            guard a.count > 0 else { throw a.usage }
            let shape = try PartitionShape(parsing: a.words.joined())
            for id in shape.nodes { _ = try a.member(id) }
            return .partition(shape: shape)
        },
        VerbForm(name: "isolate", usage: "isolate N|leader", help: "cut one node off from the others", example: "isolate leader",
                 slots: [.nodeOrLeader], keys: ["p"], cli: "isolate leader", chaos: "partition", apiField: "drop") { a in
            try a.expect(1...1)
            return .partition(shape: .isolate(node: a[0] == "leader" ? "leader" : try a.member(a[0])))
        },
        VerbForm(name: "delay", usage: "delay LINKS DURATION [JITTER]", help: "hold messages back, e.g. n1->n2 100ms 20ms; 0 clears",
                 example: "delay n1->n2 100ms 20ms", slots: [.links, .typed, .typed], keys: ["d"], cli: "delay 'n1->n2' 100ms --jitter 20ms",
                 chaos: "link", apiField: "delayMs, jitterMs, links.ID.delayMs") { a in
            // `delay LINKS 100ms 20ms`, or with the CLI's spelling `delay LINKS 100ms --jitter 20ms`.
            let (found, rest) = try a.options(["--jitter"])
            guard (2...3).contains(rest.count), !(rest.count == 3 && found["--jitter"] != nil) else { throw a.usage }
            let links = try a.links(rest[0])
            let delay = try a.span(rest[1], "the delay", max: LinkFaultSpec.maxMs)
            let jitter = try (rest.count == 3 ? rest[2] : found["--jitter"]).map { try a.span($0, "the jitter", max: LinkFaultSpec.maxMs) }
            return .delay(links: links, delay: delay, jitter: jitter ?? TimeSpan(milliseconds: 0))
        },
        VerbForm(name: "loss", usage: "loss LINKS SHARE", help: "lose a share of the messages, e.g. n3 10%; 0 clears",
                 example: "loss n3 10%", slots: [.links, .typed], keys: ["o"], cli: "loss n3 10%", chaos: "link", apiField: "loss, links.ID.loss") { a in
            try a.expect(2...2)
            return .loss(links: try a.links(a[0]), share: try Share(parsing: a[1]))
        },
        VerbForm(name: "duplicate", usage: "duplicate LINKS SHARE", help: "send a share of the messages twice, e.g. all 5%",
                 example: "duplicate all 5%", slots: [.links, .typed], keys: [], cli: "duplicate all 5%", chaos: "link", apiField: "duplicate") { a in
            try a.expect(2...2)
            return .duplicate(links: try a.links(a[0]), share: try Share(parsing: a[1]))
        },
        VerbForm(name: "reorder", usage: "reorder LINKS SHARE", help: "let later messages overtake a share, e.g. n1<->n2 20%",
                 example: "reorder n1<->n2 20%", slots: [.links, .typed], keys: [], cli: "reorder 'n1<->n2' 20%", chaos: "link",
                 apiField: "reorder") { a in
            try a.expect(2...2)
            return .reorder(links: try a.links(a[0]), share: try Share(parsing: a[1]))
        },
        VerbForm(name: "disk", usage: "disk N slow DURATION|full|ok", help: "slow fsyncs, a full disk, or healthy (N, leader, all)",
                 example: "disk n2 slow 50ms", slots: [.nodeTarget, .choice(["slow", "full", "ok"]), .typed], keys: ["f"],
                 cli: "disk n2 slow 50ms", chaos: "disk", apiField: "fsyncDelayMs, diskFull") { a in
            guard a.count >= 2 else { throw a.usage }
            return .disk(node: try a.target(a[0]), fault: try DiskFault(parsing: Array(a.words.dropFirst())))
        },
        VerbForm(name: "skew", usage: "skew N RATE", help: "run a node's clock fast or slow: 3x, 0.5x; 1x is true", example: "skew n2 3x",
                 slots: [.nodeTarget, .choice(["3x", "0.5x", "1x"])], keys: ["w"], cli: "skew n2 3x", chaos: "skew", apiField: "clockRate") { a in
            try a.expect(2...2)
            return .skew(node: try a.target(a[0]), rate: try ClockRate(parsing: a[1]))
        },
        VerbForm(name: "heal", usage: "heal", help: "clear every fault rule and verify", example: "heal", slots: [], keys: ["h"], cli: "heal") { a in
            try a.expect(0...0)
            return .heal
        },
        VerbForm(name: "mend", usage: "mend LINKS", help: "undo only the cuts on some links, e.g. n1<->n2",
                 example: "mend n1<->n2", slots: [.links], keys: [], cli: "mend 'n1<->n2'", apiField: "drop") { a in
            try a.expect(1...1)
            return .mend(links: try a.links(a[0]))
        },
        VerbForm(name: "panic", usage: "panic", help: "heal, resume all, stop the load, recovery to advise", example: "panic", slots: [],
                 keys: [], cli: "panic") { a in
            try a.expect(0...0)
            return .panic
        },
        VerbForm(name: "transfer", usage: "transfer [N]", help: "hand leadership to N or the most caught-up voter", example: "transfer n3",
                 slots: [.node], keys: ["t"], cli: "transfer n3", chaos: "transfer") { a in
            try a.expect(0...1)
            return .transfer(to: a.count == 1 ? try a.member(a[0]) : nil)
        },
        VerbForm(name: "scale", usage: "scale +K|-K|-1 N|SIZE", help: "add nodes, remove some (or N), or grow/shrink to a size",
                 example: "scale -1 n4", slots: [.choice(["+1", "-1"]), .node], keys: ["+", "-"], cli: "scale -1 --node n4", chaos: "scale") { a in
            let words = a.words.filter { $0 != "--purge" }
            guard !words.isEmpty else { throw a.usage }
            let change = try ScaleChange(parsing: words)
            if case .removeNode(let id) = change { _ = try a.member(id) }
            return .scale(change: change, purge: a.words.contains("--purge"))
        },
        // A pending join is not a member yet: its id is only checked for its form.
        VerbForm(name: "approve", usage: "approve N", help: "admit a pending join", example: "approve n4", slots: [.node], keys: ["a"],
                 cli: "approve n4") { a in
            try a.expect(1...1)
            return .approve(node: try NodeTarget.nodeID(a[0]))
        },
        VerbForm(name: "deny", usage: "deny N", help: "refuse a pending join", example: "deny n4", slots: [.node], keys: [],
                 cli: "approve n4 --deny") { a in
            try a.expect(1...1)
            return .deny(node: try NodeTarget.nodeID(a[0]))
        },
        VerbForm(name: "submit", usage: "submit KIND [k=v …]", help: "submit a task (--count N, --target N; bare: sleep ms=200)",
                 example: "submit hash rounds=1000 --count 3", slots: [.choice(["sleep", "echo", "hash", "fail", "shell"])], keys: ["s"],
                 cli: "submit --kind hash --arg rounds=1000 --count 3") { a in
            let (found, rest) = try a.options(["--count", "--target", "--key", "--max-attempts"])
            guard let kind = rest.first, !kind.contains("=") else { throw a.usage }
            var order = TaskOrder(kind: kind, args: try KeyValueList(parsing: Array(rest.dropFirst())))
            if let c = found["--count"] { order.count = try a.integer(c, "--count", min: 1) }
            if let t = found["--target"] { order.target = try a.member(t) }
            order.key = found["--key"]
            if let m = found["--max-attempts"] { order.maxAttempts = try a.integer(m, "--max-attempts", min: 1) }
            return .submit(order: order)
        },
        VerbForm(name: "cancel", usage: "cancel ID", help: "cancel a task", example: "cancel t-4", slots: [.typed], keys: [], cli: "cancel t-4") { a in
            try a.expect(1...1)
            return .cancel(task: a[0])
        },
        VerbForm(name: "load", usage: "load on [KIND k=v …]|off", help: "a steady load of submits and reads (--rate R, --duration D)",
                 example: "load on echo text=hi --rate 50", slots: [.choice(["on", "off"])], keys: ["l"], cli: "load --rate 50 --duration 30s") { a in
            switch a.words.first {
            case "off"?:
                try a.expect(1...1)
                return .load(plan: nil)
            case "on"?:
                let (found, rest) = try a.options(["--rate", "--read-every", "--duration"], in: Array(a.words.dropFirst()))
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
                if let n = found["--read-every"] { plan.readEvery = try a.integer(n, "--read-every", min: 0) }
                if let d = found["--duration"] {
                    do { plan.duration = try TimeSpan(parsing: d) } catch let error as AmountError { throw error.about("--duration") }
                }
                return .load(plan: plan)
            default: throw a.usage
            }
        },
        VerbForm(name: "recover", usage: "recover off|advise|auto", help: "the recovery mode", example: "recover auto",
                 slots: [.choice(RecoveryMode.allCases.map(\.rawValue))], keys: ["R"], cli: "supervise --recover auto") { a in
            try a.expect(1...1)
            guard let mode = RecoveryMode(rawValue: a[0]) else { throw a.usage }
            return .recover(mode: mode)
        },
    ]

    /// The row of `verb`.
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
            let usage = AmountError("usage: \(form.usage), e.g. \(form.example)")
            return try form.read(VerbArguments(words: Array(words.dropFirst()), members: members, usage: usage))
        } catch let error as AmountError {
            throw error.description.hasPrefix("usage:") ? error : error.about(verb)
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
