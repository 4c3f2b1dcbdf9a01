import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

/// A short recorded session: n1 leads, the operator kills it at t=2, n2 is elected at t=2.5,
/// the operator heals at t=4.
func recordedSession() -> Transcript {
    let header = TranscriptHeader(started: t0, cluster: .init(nodes: 3, ids: ["n1", "n2", "n3"]), recover: "advise", source: "test")
    let ids = ["n1", "n2", "n3"]
    let before = ClusterSnapshot(seq: 0, takenAt: t0.addingTimeInterval(1), nodes: ids.map { id in
        NodeObservation(id: id, adminAddress: "a-\(id)", status: nodeStatus(id, role: id == "n1" ? .leader : .follower, term: 3, leader: "n1", ids: ids),
                        up: true, lastSeen: t0.addingTimeInterval(1))
    })
    var after = ClusterSnapshot(seq: 1, takenAt: t0.addingTimeInterval(2.5), nodes: ids.map { id in
        NodeObservation(id: id, adminAddress: "a-\(id)", status: nodeStatus(id, role: id == "n2" ? .leader : .follower, term: 4, leader: "n2", ids: ids),
                        up: id != "n1", lastSeen: t0.addingTimeInterval(id == "n1" ? 1 : 2.5), process: id == "n1" ? .stopped : .running)
    })
    after.nodes[0].status?.role = .leader
    return Transcript(header: header, lines: [
        .status(StatusLine(before, t: 1)),
        .action(ActionLine(t: 2, verb: "kill", target: "n1", by: "key k", ok: true, result: "kill n1: killed pid 9", tookMs: 20)),
        .event(EventLine(t: 2.1, kind: "observed", category: "node-down", node: "n1", message: "n1 is down (not answering)", ok: false)),
        .event(EventLine(t: 2.5, kind: "observed", category: "election", node: "n2", message: "n2 elected leader, term 4 (0.40 s)", durationMs: 400)),
        .status(StatusLine(after, t: 2.5)),
        .event(EventLine(t: 3, kind: "observed", category: "task", node: "n2", message: "t-1 running on n2", task: "t-1", state: .running, taskKind: "sleep", attempts: 1)),
        .action(ActionLine(t: 4, verb: "heal", by: "key h", ok: true, result: "heal: complete", tookMs: 300)),
    ])
}

@Suite("Playback")
struct PlaybackTests {
    func frame(_ p: Playback) -> [String] {
        var base = ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: t0, nodes: []))
        base.readonly = true
        return ConsoleView.render(p.model(base: base), width: 160, height: 30).lines
    }

    func row(_ lines: [String], _ id: String) -> String { lines.first { $0.contains("│ \(id) ") || $0.contains("│▶\(id) ") } ?? "" }

    @Test func stepsBetweenEventsAndActionsAndDrawsEachMoment() {
        var p = Playback(recordedSession())
        #expect(p.duration == 4.3)
        p.playing = false
        var f = frame(p)
        #expect(f[0].contains("PLAYBACK") && f.last!.contains("0:00.0 / 0:04.3") && f.last!.contains("action 0/2"))

        p.step(forward: true, actionsOnly: false)  // the first status
        f = frame(p)
        #expect(p.position == 1 && row(f, "n1").contains("★ LEADER"))

        p.step(forward: true, actionsOnly: true)  // the kill's outcome, 20 ms after it was given
        #expect(p.position == 2.02 && frame(p).contains { $0.contains("kill n1: killed pid 9 (you)") })
        p.step(forward: true, actionsOnly: false)  // n1 goes down
        f = frame(p)
        #expect(p.position == 2.1)
        #expect(f.contains { $0.contains("n1 is down (not answering)") } && f.contains { $0.contains("kill n1: killed pid 9 (you)") })
        #expect(row(f, "n1").contains("★ LEADER"), "the next status has not come yet")

        p.step(forward: true, actionsOnly: false)  // election and the new status
        f = frame(p)
        #expect(f[0].contains("leader n2 · term 4") && row(f, "n1").contains("✕ DOWN") && f.contains { $0.contains("n2 elected leader") })

        p.step(forward: true, actionsOnly: false)
        #expect(frame(p).contains { $0.contains("t-1") && $0.contains("running") }, "tasks come from task events")

        p.step(forward: true, actionsOnly: true)
        #expect(p.position == 4.3 && frame(p).last!.contains("action 2/2"))
        p.step(forward: false, actionsOnly: true)
        #expect(p.position == 2.02)
        p.step(forward: false, actionsOnly: false)
        #expect(p.position == 1)
    }

    @Test func playingAdvancesWithTheClockAndStopsAtTheEnd() {
        var p = Playback(recordedSession())
        p.advance(by: 1.5)
        #expect(p.position == 1.5 && p.playing)
        p.speed = 4
        p.advance(by: 1)
        #expect(p.position == 4.3 && !p.playing)
    }

    /// Ages and uptimes run on the recorded clock: each task from when it was submitted (as
    /// recorded, or its load submit's call), each node's uptime from its recorded value.
    @Test func playbackAgesDifferPerTaskAndUptimesRunOn() {
        var t = recordedSession()
        t.lines += [
            .op(OperationLine(t: 0.5, returnedT: 0.6, key: "k1", outcome: "ok", task: "t-2")),
            .event(EventLine(t: 3, kind: "observed", category: "task", message: "t-2 queued", task: "t-2", state: .queued, taskKind: "sleep", attempts: 0)),
            .event(EventLine(t: 3, kind: "observed", category: "task", message: "t-3 queued", task: "t-3", state: .queued, taskKind: "sleep", attempts: 0,
                             submittedT: 2.2)),
        ]
        var p = Playback(t)
        p.playing = false
        p.seek(4)
        let f = frame(p)
        // ID KIND NODE STATE ATT AGE: the sixth word of the task's row.
        func age(_ id: String) -> String {
            let words = f.first { $0.hasPrefix("│\(id) ") }?.split(separator: " ") ?? []
            return words.count > 5 ? String(words[5]) : "?"
        }
        #expect(age("t-1") == "1.0s" && age("t-2") == "3.5s" && age("t-3") == "1.8s", "\(age("t-1")) \(age("t-2")) \(age("t-3"))")
        #expect(row(f, "n2").contains("1m6s"), "65 s recorded at 2.5 s, 1.5 s on: \(row(f, "n2"))")
        p.seek(2)
        #expect(row(frame(p), "n2").contains("1m6s"), "65 s recorded at 1 s, 1 s on: \(row(frame(p), "n2"))")
    }

    @Test func theKeysDriveThePlaybackAndFaultKeysDoNothing() {
        var p = Playback(recordedSession())
        var m = ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: t0, nodes: []))
        let keys = KeyMap()
        #expect(!PlaybackApp.handle(.char(" "), &m, &p, keys: keys) && !p.playing)
        _ = PlaybackApp.handle(.char("]"), &m, &p, keys: keys)
        #expect(p.position == 2.02)
        _ = PlaybackApp.handle(.right, &m, &p, keys: keys)
        #expect(p.position == 2.1)
        _ = PlaybackApp.handle(.left, &m, &p, keys: keys)
        #expect(p.position == 2.02)
        for key in ["k", "p", "h", "+", "-"] { _ = PlaybackApp.handle(.char(Character(key)), &m, &p, keys: keys) }
        #expect(p.position == 2.02 && m.overlay == nil, "fault keys are off")
        _ = PlaybackApp.handle(.char("?"), &m, &p, keys: keys)
        #expect(m.overlay == .help)
        #expect(PlaybackApp.handle(.char("q"), &m, &p, keys: keys) == false, "q first closes the help")
        #expect(PlaybackApp.handle(.char("q"), &m, &p, keys: keys))
    }

    /// A live console's key in a recording says why it does nothing; `F` shows what was broken at that moment.
    @Test func keysThatARecordingCannotTakeSaySoAndTheFaultListShowsThen() {
        var p = Playback(recordedSession())
        p.playing = false
        p.seek(2.5)
        var m = p.model(base: ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: t0, nodes: [])))
        let keys = KeyMap()
        func bar(_ w: Int) -> String { ConsoleView.render(p.model(base: m), width: w, height: 24).lines[23] }
        _ = PlaybackApp.handle(.char("k"), &m, &p, keys: keys)
        #expect(bar(160).contains("k kill: not in a recording (? lists what works)") && bar(160).hasSuffix("? help  q quit"), "\(bar(160))")
        #expect(bar(80).contains("k kill: not") && bar(80).contains("…") && bar(80).hasSuffix("? help  q quit"), "\(bar(80))")
        _ = PlaybackApp.handle(.char(":"), &m, &p, keys: keys)
        #expect(bar(160).contains(": command: not in a recording"))
        _ = PlaybackApp.handle(.right, &m, &p, keys: keys)
        #expect(!bar(160).contains("not in a recording"), "the next key clears it")
        _ = PlaybackApp.handle(.char("F"), &m, &p, keys: keys)
        #expect(m.overlay == .faults)
        let screen = ConsoleView.render(p.model(base: m), width: 100, height: 30).lines.joined(separator: "\n")
        #expect(screen.contains("What was broken then") && !screen.contains("u undoes"), "\(screen)")
        _ = PlaybackApp.handle(.char("u"), &m, &p, keys: keys)
        #expect(bar(160).contains("u undo: a recording cannot be changed"), "\(bar(160))")
        _ = PlaybackApp.handle(.escape, &m, &p, keys: keys)
        #expect(m.overlay == nil)
    }

    /// Playback's help and a node described there say what a recording holds: no kill key, no live log.
    @Test func playbackSaysARecordingHoldsNoLogAndNoKillKey() {
        #expect(!KeyMap.playbackHelp.contains { $0.contains("k is kill") || $0.contains("follows live") }, "\(KeyMap.playbackHelp)")
        var p = Playback(recordedSession())
        p.seek(3)
        var m = p.model(base: ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: t0, nodes: [])))
        _ = PlaybackApp.handle(.enter, &m, &p, keys: KeyMap())
        guard case .node? = m.overlay else { Issue.record("Enter describes the node"); return }
        var shown = p.model(base: m)
        ConsoleView.clampOverlay(&shown, width: 100, height: 30)
        let screen = ConsoleView.render(shown, width: 100, height: 30).lines.joined(separator: "\n")
        #expect(screen.contains("a recording holds no node log") && !screen.contains("log follows") && !screen.contains("GET /v1/events"), "\(screen)")
    }
}

@Suite("Command line")
struct CommandLineTests: ParsesCommandLines {
    @Test func everyVerbBecomesTheOperationTheCLIWouldRun() {
        func scale(_ c: ScaleChange) -> ConsoleAction { .run(.scale(change: c, purge: false)) }
        let cases: [(String, ConsoleAction)] = [
            ("kill n3", .run(.kill(node: "n3"))), ("restart n3", .run(.restart(node: "n3"))), ("pause n2", .run(.pause(node: "n2"))),
            ("resume n2", .run(.resume(node: "n2"))), ("partition n1,n2 | n3", .run(.partition(shape: .groups(sides: [["n1", "n2"], ["n3"]])))),
            ("partition minority", .run(.partition(shape: .minority))), ("partition n1->n2,n3", .run(.partition(shape: .oneWay(from: ["n1"], to: ["n2", "n3"])))),
            ("isolate leader", .run(.partition(shape: .isolate(node: "leader")))), ("isolate n4", .run(.partition(shape: .isolate(node: "n4")))),
            ("heal", .run(.heal)), ("panic", .run(.panic)), ("transfer", .run(.transfer(to: nil))), ("transfer n2", .run(.transfer(to: "n2"))),
            ("scale +1", scale(.add(count: 1))), ("scale -1", scale(.removeNode(id: "n2"))), ("scale -1 n4", scale(.removeNode(id: "n4"))),
            ("scale 5", scale(.to(size: 5))), ("approve n6", .run(.approve(node: "n6"))), ("deny n6", .run(.deny(node: "n6"))),
            ("submit", .run(.submit(order: TaskOrder(kind: "sleep", args: KeyValueList(["ms": "200"]))))),
            ("submit echo text=hi", .run(.submit(order: TaskOrder(kind: "echo", args: KeyValueList(["text": "hi"]))))),
            ("cancel t-4", .run(.cancel(task: "t-4"))), ("load on", .run(.load(plan: .standard))), ("load off", .run(.load(plan: nil))),
            ("recover auto", .run(.recover(mode: .auto))),
            ("tasks n2", .taskFilter(node: "n2", state: nil)), ("tasks running", .taskFilter(node: nil, state: .running)),
            ("tasks all", .taskFilter(node: nil, state: nil)), ("filter elected", .filter("elected")), ("help", .help), ("q", .quit),
        ]
        for (line, action) in cases { #expect(parse(line) == action, "\(line)") }
    }

    @Test func badLinesSayWhatIsWrong() {
        #expect(error("kill n9").contains("unknown node n9; the nodes are n1, n2, n3, n4, n5"))
        #expect(error("kill") == "usage: kill N, e.g. kill n2")
        #expect(error("scale 0") == "scale: cannot scale below one node")
        #expect(error("recover sometimes") == "usage: recover off|advise|auto, e.g. recover auto")
        #expect(error("submit echo text") == "submit: expected KEY=VALUE, got 'text'", "a bad word is named, not dropped")
        #expect(error("tasks nope").contains("neither a node nor a state"))
        #expect(error("frobnicate").hasPrefix("unknown command \"frobnicate\""))
        var ro = m
        ro.readonly = true
        if case .failure(let e) = CommandLineParser.parse("heal", model: ro) { #expect(e.description.contains("read-only")) } else { Issue.record("heal ran read-only") }
        #expect((try? CommandLineParser.parse("tasks n1", model: ro).get()) == .taskFilter(node: "n1", state: nil), "views still work read-only")
        var remote = m
        remote.local = false
        #expect(error(in: remote, "kill n1") == "kill: the nodes are not local processes (--connect)", "as the k key says")
        #expect(error(in: remote, "scale +1") == "scale: the nodes are not local processes (--connect)")
        #expect((try? CommandLineParser.parse("loss n1 5%", model: remote).get()) != nil, "faults need no local processes")
    }

    @Test func tabCompletesVerbsAndNodeIds() {
        #expect(CommandLineParser.complete("part", model: m).text == "partition ")
        #expect(CommandLineParser.complete("kill n", model: m) == (text: "kill n", candidates: ["n1", "n2", "n3", "n4", "n5"]))
        #expect(CommandLineParser.complete("kill n4", model: m).text == "kill n4 ")
        #expect(CommandLineParser.complete("re", model: m) == (text: "re", candidates: ["restart", "replace", "resume", "reorder", "recover"]))
        #expect(CommandLineParser.complete("isolate l", model: m).text == "isolate leader ")
        #expect(CommandLineParser.complete("recover a", model: m) == (text: "recover a", candidates: ["advise", "auto"]))
        #expect(CommandLineParser.complete("partition m", model: m) == (text: "partition m", candidates: ["minority", "majorities-ring"]))
        #expect(CommandLineParser.complete("partition b", model: m).text == "partition bridge ")
        #expect(CommandLineParser.complete("scale -1 n", model: m).candidates == ["n1", "n2", "n3", "n4", "n5"], "a node where one goes")
        #expect(CommandLineParser.complete("transfer n5", model: m).text == "transfer n5 ")
        var pending = m
        pending.snapshot.pending = [.init(id: "n6", raftAddress: "r", adminAddress: "a")]
        #expect(CommandLineParser.complete("approve ", model: pending).text == "approve n6 ", "a pending join, not a member")
    }
}
