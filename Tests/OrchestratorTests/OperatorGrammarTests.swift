import FlotillaAPI
import Foundation
import Orchestrator
import Testing

/// The operator grammar: every command reads back from its own words and from JSON, every bad
/// amount is refused with the form it should take, and version-1 transcript actions become
/// commands without a default standing in for what they lack.
@Suite("Operator grammar")
struct OperatorGrammarTests {
    static let members = ["n1", "n2", "n3", "n4", "n5"]

    /// At least one command of every verb, with the shapes and amounts each takes.
    static let commands: [OperatorCommand] = [
        .kill(node: "n2"), .restart(node: "n2"), .pause(node: "n1"), .resume(node: "n1"), .replace(node: "n3"),
        .partition(shape: .groups(sides: [["n1", "n2"], ["n3"]])), .partition(shape: .groups(sides: [["n1"]])),
        .partition(shape: .oneWay(from: ["n1"], to: ["n2", "n3"])), .partition(shape: .isolate(node: "leader")),
        .partition(shape: .isolate(node: "n4")), .partition(shape: .minority), .partition(shape: .majoritiesRing), .partition(shape: .bridge),
        .heal, .mend(links: .bothWays("n1", "n2")), .mend(links: .oneWay(from: "n3", to: "n1")), .mend(links: .node("n2")), .mend(links: .all),
        .panic, .transfer(to: nil), .transfer(to: "n3"),
        .scale(change: .add(count: 1), purge: false), .scale(change: .add(count: 2), purge: false), .scale(change: .remove(count: 1), purge: true),
        .scale(change: .removeNode(id: "n4"), purge: false), .scale(change: .removeNode(id: "n4"), purge: true), .scale(change: .to(size: 5), purge: false),
        .delay(links: .oneWay(from: "n1", to: "n2"), delay: TimeSpan(milliseconds: 100), jitter: TimeSpan(milliseconds: 20)),
        .delay(links: .all, delay: TimeSpan(milliseconds: 1500), jitter: TimeSpan(milliseconds: 0)),
        .delay(links: .bothWays("n1", "n2"), delay: TimeSpan(milliseconds: 60_000), jitter: TimeSpan(milliseconds: 1)),
        .loss(links: .node("n3"), share: Share(fraction: 0.1)), .loss(links: .all, share: Share(fraction: 0)),
        .loss(links: .node("n3"), share: Share(fraction: 0.123456789)), .loss(links: .node("n3"), share: Share(fraction: 0.07)),
        .duplicate(links: .all, share: Share(fraction: 0.05)), .reorder(links: .bothWays("n1", "n2"), share: Share(fraction: 1)),
        .disk(node: .node("n2"), fault: .slow(ms: 50)), .disk(node: .leader, fault: .full), .disk(node: .all, fault: .ok),
        .disk(node: .node("n2"), fault: .slow(ms: 10_000)),
        .skew(node: .node("n2"), rate: ClockRate(factor: 3)), .skew(node: .leader, rate: ClockRate(factor: 0.5)),
        .skew(node: .all, rate: ClockRate(factor: 1)), .skew(node: .node("n1"), rate: ClockRate(factor: 0.333)),
        .submit(order: TaskOrder(kind: "sleep", args: KeyValueList(["ms": "200"]))),
        .submit(order: TaskOrder(kind: "echo", args: KeyValueList(["text": "a=b"]), count: 3, target: "n2", key: "k-1", maxAttempts: 2)),
        .submit(order: TaskOrder(kind: "hash")),
        .cancel(task: "t-4"), .approve(node: "n6"), .deny(node: "n6"),
        .load(plan: .standard), .load(plan: nil),
        .load(plan: LoadPlan(rate: 12.5, kind: "echo", args: KeyValueList(["text": "load"]), readEvery: 0, duration: TimeSpan(milliseconds: 3000))),
        .recover(mode: .off), .recover(mode: .advise), .recover(mode: .auto),
    ]

    @Test func everyVerbOfTheTableHasACommandHere() {
        #expect(Set(Self.commands.map(\.verb)) == Set(OperatorGrammar.verbs.map(\.name)))
    }

    @Test(arguments: commands)
    func aCommandReadsBackFromItsOwnWords(_ command: OperatorCommand) throws {
        let words = command.description
        #expect(try OperatorGrammar.parse(words) == command, "\(words)")
        #expect(try OperatorGrammar.parse(words, members: Self.members + ["n6"]) == command, "\(words) with members")
    }

    @Test(arguments: commands)
    func aCommandReadsBackFromJSON(_ command: OperatorCommand) throws {
        let data = try JSONEncoder().encode(command)
        #expect(try JSONDecoder().decode(OperatorCommand.self, from: data) == command, "\(String(decoding: data, as: UTF8.self))")
    }

    @Test func amountsReadOneWayEverywhere() throws {
        #expect(try TimeSpan(parsing: "250ms").milliseconds == 250)
        #expect(try TimeSpan(parsing: "2s").milliseconds == 2000 && TimeSpan(milliseconds: 2000).description == "2s")
        #expect(try TimeSpan(parsing: "1.5s").milliseconds == 1500 && TimeSpan(milliseconds: 1500).description == "1500ms")
        #expect(try TimeSpan(parsing: "1m").milliseconds == 60_000 && TimeSpan(milliseconds: 60_000).description == "1m")
        #expect(try TimeSpan(parsing: "0").milliseconds == 0)
        #expect(try Share(parsing: "10%") == Share(parsing: "0.1"))
        #expect(Share(fraction: 0.1).description == "10%" && Share(fraction: 0.05).description == "5%")
        #expect(try ClockRate(parsing: "3") == ClockRate(parsing: "3x"))
        #expect(try KeyValueList(parsing: ["ms=200", "text=a=b"]).values == ["ms": "200", "text": "a=b"])
        #expect(TimeSpan(argument: "30s")?.milliseconds == 30_000 && TimeSpan(argument: "30") == nil, "the CLI's flags read the same")
        #expect(Share(argument: "5%")?.fraction == 0.05 && KeyValue(argument: "ms=1")?.value == "1" && KeyValue(argument: "ms") == nil)
    }

    /// Each bad amount, refused with the form it should take and what was given.
    @Test(arguments: [
        ("loss n3 lots", "loss: expected a share like 10% or 0.1 (0% to 100%), got 'lots'"),
        ("loss n3 150%", "loss: expected a share like 10% or 0.1 (0% to 100%), got '150%'"),
        ("duplicate all -0.1", "duplicate: expected a share like 10% or 0.1 (0% to 100%), got '-0.1'"),
        ("reorder all 1.5", "reorder: expected a share like 10% or 0.1 (0% to 100%), got '1.5'"),
        ("delay all 100", "delay: the delay: expected a duration like 250ms, 2s or 1m, got '100'"),
        ("delay all soon", "delay: the delay: expected a duration like 250ms, 2s or 1m, got 'soon'"),
        ("delay all 1e3ms", "delay: the delay: expected a duration like 250ms, 2s or 1m, got '1e3ms'"),
        ("delay all 10ms --jitter 5", "delay: the jitter: expected a duration like 250ms, 2s or 1m, got '5'"),
        ("delay all 2m", "delay: the delay must be between 0 and 60000 ms, got '2m'"),
        ("delay n1=>n2 10ms", "delay: expected links like n1->n2, n1<->n2, n3 or all, got 'n1=>n2'"),
        ("disk n2 slow 5", "disk: slow: expected a duration like 250ms, 2s or 1m, got '5'"),
        ("disk n2 slow 11s", "disk: a slow disk adds between 0 and 10000 ms to each fsync, got '11s'"),
        ("disk n2 broken", "disk: expected slow DURATION, full or ok, got 'broken'"),
        ("skew n2 fast", "skew: expected a clock rate from 0.1x to 10.0x, like 3x or 0.5x, got 'fast'"),
        ("skew n2 20x", "skew: expected a clock rate from 0.1x to 10.0x, like 3x or 0.5x, got '20x'"),
        ("submit echo text", "submit: expected KEY=VALUE, got 'text'"),
        ("submit echo =x", "submit: expected KEY=VALUE, got '=x'"),
        ("submit echo a=1 a=2", "submit: a is given twice ('a=2')"),
        ("submit echo --count 0", "submit: --count: expected a whole number of at least 1, got '0'"),
        ("load on --rate lots", "load: --rate: expected operations per second above 0 and at most 5000, got 'lots'"),
        ("load on --duration 10", "load: --duration: expected a duration like 250ms, 2s or 1m, got '10'"),
        ("scale 0", "scale: cannot scale below one node"),
        ("scale +1 n4", "scale: expected +K, -K, -1 NODE or a size N, got '+1 n4'"),
        ("scale many", "scale: expected +K, -K, -1 NODE or a size N, got 'many'"),
        ("partition n1||n2", "partition: a partition group is empty, got 'n1||n2'"),
        ("frobnicate", "unknown command \"frobnicate\"; the commands are kill, restart, replace, pause, resume, partition, isolate, delay, loss, duplicate, reorder, disk, skew, heal, mend, panic, transfer, scale, approve, deny, submit, cancel, load, recover"),
    ])
    func aBadAmountIsRefusedWithTheFormItShouldTake(_ line: String, _ message: String) {
        #expect(throws: AmountError(message)) { try OperatorGrammar.parse(line) }
    }

    @Test func nodesAreCheckedAgainstTheMembersWhenGiven() {
        #expect(throws: AmountError("kill: unknown node n9; the nodes are n1, n2, n3, n4, n5")) { try OperatorGrammar.parse("kill n9", members: Self.members) }
        #expect(throws: AmountError("partition: unknown node n7; the nodes are n1, n2, n3, n4, n5")) {
            try OperatorGrammar.parse("partition n1|n7", members: Self.members)
        }
        #expect((try? OperatorGrammar.parse("kill n9")) == .kill(node: "n9"), "without members, the cluster says")
    }

    @Test func completionComesFromTheTable() {
        let ids = ["n1", "n2", "n3"]
        #expect(OperatorGrammar.candidates(["par"], members: ids) == OperatorGrammar.verbs.map(\.name))
        #expect(OperatorGrammar.candidates(["partition", ""], members: ids) == ["leader", "minority", "majorities-ring", "bridge", "n1", "n2", "n3"])
        #expect(OperatorGrammar.candidates(["isolate", ""], members: ids) == ids + ["leader"])
        #expect(OperatorGrammar.candidates(["disk", ""], members: ids) == ids + ["leader", "all"])
        #expect(OperatorGrammar.candidates(["transfer", ""], members: ids) == ids)
        #expect(OperatorGrammar.candidates(["scale", "-1", ""], members: ids) == ids, "a node where scale -1 takes one")
        #expect(OperatorGrammar.candidates(["loss", "n1<->"], members: ids) == ["n1<->n2", "n1<->n3"])
        #expect(OperatorGrammar.candidates(["loss", "n1", ""], members: ids).isEmpty, "a share is typed")
    }

    /// A version-1 action line becomes the command it recorded; a lost amount is an error, never 0.
    @Test func versionOneActionsBecomeCommandsAndALostAmountIsRefused() throws {
        func line(_ verb: String, _ target: String? = nil, _ args: [String: String]? = nil) -> ActionLine {
            ActionLine(t: 1, verb: verb, target: target, args: args, by: "cli", ok: true, result: "", tookMs: 1)
        }
        #expect(try OperatorCommand(recorded: line("loss", "n3", ["fraction": "0.1"])) == .loss(links: .node("n3"), share: Share(fraction: 0.1)))
        #expect(try OperatorCommand(recorded: line("delay", "n1->n2", ["ms": "100", "jitter": "20"]))
            == .delay(links: .oneWay(from: "n1", to: "n2"), delay: TimeSpan(milliseconds: 100), jitter: TimeSpan(milliseconds: 20)))
        #expect(try OperatorCommand(recorded: line("isolate", "leader")) == .partition(shape: .isolate(node: "leader")))
        #expect(try OperatorCommand(recorded: line("scale-down", "n4")) == .scale(change: .removeNode(id: "n4"), purge: false))
        #expect(try OperatorCommand(recorded: line("load", "on", ["kind": "echo", "rate": "20.0", "duration": "3s", "text": "load"]))
            == .load(plan: LoadPlan(rate: 20, kind: "echo", args: KeyValueList(["text": "load"]), readEvery: 0, duration: TimeSpan(milliseconds: 3000))))
        #expect(throws: AmountError("loss was recorded without its fraction")) { try OperatorCommand(recorded: line("loss", "n3")) }
        #expect(throws: AmountError("skew was recorded without its rate")) { try OperatorCommand(recorded: line("skew", "n2", [:])) }
        #expect(throws: AmountError("delay was recorded with ms 'soon', which is not a number")) {
            try OperatorCommand(recorded: line("delay", "all", ["ms": "soon", "jitter": "0"]))
        }
        #expect(throws: AmountError("disk was recorded without its ms")) { try OperatorCommand(recorded: line("disk", "n2", ["fault": "slow"])) }
        #expect(throws: AmountError("kill was recorded without a target")) { try OperatorCommand(recorded: line("kill")) }
    }

    /// The recorded fixtures (version 1) still read, and every operator action in them becomes a command.
    @Test func theRecordedVersionOneFixturesBecomeCommands() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures").path
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jsonl") }
        #expect(files.count >= 2)
        for f in files {
            let t = try Transcript.read("\(dir)/\(f)")
            #expect(t.header.version == 1, "\(f)")
            for a in t.actions where a.isOperators {
                #expect(a.command == nil)
                #expect(throws: Never.self, "\(f): \(a.summary)") { try OperatorCommand(recorded: a) }
            }
        }
    }

    /// The README's fault table is the grammar table's, so neither can drift from the other.
    @Test func theReadmeFaultTableIsTheGrammarTable() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let table = OperatorGrammar.faultTable
        let current = text.contains(table)
        #expect(current, "the README's fault table should read:\nBEGIN TABLE\n\(table)\nEND TABLE")
    }
}
