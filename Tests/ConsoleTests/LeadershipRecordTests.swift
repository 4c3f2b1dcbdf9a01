import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

/// `L`: a record of who led when, from the events the console keeps, live and in playback.
@Suite("Console: who led when")
struct LeadershipRecordTests {
    func elected(_ id: String, term: Int, at t: Double) -> ControlEvent {
        ControlEvent(.observed, node: id, "\(id) elected leader, term \(term) (0.20 s)", at: t0.addingTimeInterval(t), category: "election")
    }

    func action(_ verb: String, _ target: String?, at t: Double, by: String = "key k") -> ControlEvent {
        ControlEvent(.action, node: target, "\(verb) \(target ?? ""): done", reason: "operator", at: t0.addingTimeInterval(t),
                     action: OperatorAction(verb: verb, target: target, by: by, startedAt: t0.addingTimeInterval(t), command: nil))
    }

    /// Five reigns, each ended another way: killed, isolated, transferred, partitioned, and one no action explains.
    func session() -> [ControlEvent] {
        [ControlEvent(.observed, node: "n1", "n1 leads, term 2", at: t0, category: "leader"),
         action("kill", "n1", at: 10),
         ControlEvent(.observed, node: "n1", "n1 is down (not answering)", ok: false, at: t0.addingTimeInterval(10.1), category: "node-down"),
         elected("n2", term: 3, at: 11),
         action("isolate", "n3", at: 15, by: "key p"),  // not the leader: ends nothing
         action("isolate", "leader", at: 20, by: "command"),
         elected("n3", term: 4, at: 21),
         action("transfer", "n1", at: 30, by: "key t"),
         elected("n1", term: 5, at: 30.2),
         action("partition", "minority", at: 40, by: "command"),
         elected("n2", term: 6, at: 41),
         elected("n3", term: 7, at: 50)]
    }

    @Test func eachReignSaysWhoLedWhichTermFromWhenToWhenAndWhyItEnded() {
        let r = LeadershipRecord(events: session())
        #expect(r.reigns.map(\.leader) == ["n1", "n2", "n3", "n1", "n2", "n3"])
        #expect(r.reigns.map(\.term) == [2, 3, 4, 5, 6, 7])
        #expect(r.reigns.map(\.end) == ["killed", "isolated", "transferred", "partitioned", "stepped down", nil])
        #expect(r.reigns[0].cause == "kill n1 (key k)")
        #expect(r.reigns[1].from == t0.addingTimeInterval(11) && r.reigns[1].until == t0.addingTimeInterval(21))
        // The same leader seen again in its term is one reign.
        #expect(LeadershipRecord(events: session() + [elected("n3", term: 7, at: 55)]).reigns.count == 6)
    }

    @Test func lKeyOpensTheRecordNewestFirstAndLClosesIt() {
        var m = model(mixedSnapshot())
        m.events = session()
        m.now = t0.addingTimeInterval(60)
        #expect(ViewKeys.handle(.char("L"), &m) && m.overlay == .leaders)
        for (w, h) in [(80, 24), (160, 45)] {
            var shown = m
            ConsoleView.clampOverlay(&shown, width: w, height: h)
            let screen = ConsoleView.render(shown, width: w, height: h).lines.joined(separator: "\n")
            #expect(screen.contains("Who led when"), "\(screen)")
            #expect(screen.contains("killed: kill n1 (key k)") && screen.contains("transferred") && screen.contains("leads"), "\(screen)")
            let newest = screen.range(of: "7     n3")?.lowerBound, oldest = screen.range(of: "2     n1")?.lowerBound
            #expect(newest != nil && oldest != nil && newest! < oldest!, "\(screen)")
        }
        #expect(ViewKeys.handle(.char("L"), &m) && m.overlay == nil)
        // The key bar's help lists it, and playback's too.
        #expect(KeyMap().help(readonly: false, local: true).contains { $0.hasPrefix("L ") })
        #expect(KeyMap.playbackHelp.contains { $0.hasPrefix("L ") })
    }

    /// A recorded console session (kill n1, restart, isolate n1 while n2 leads, heal, transfer to n1) played back to its end.
    @Test func playbackDrawsTheRecordFromTheRecordedEvents() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/console-kill-restart-isolate-transfer.jsonl").path
        var p = Playback(try Transcript.read(file))
        p.seek(p.duration)
        var m = p.model(base: ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: t0, nodes: [])))
        #expect(PlaybackApp.handle(.char("L"), &m, &p, keys: KeyMap()) == false && m.overlay == .leaders)
        let r = LeadershipRecord(events: m.events)
        #expect(r.reigns.map(\.leader) == ["n1", "n2", "n1"])
        #expect(r.reigns.map(\.end) == ["killed", "transferred", nil], "\(r.reigns)")
        let screen = ConsoleView.render(m, width: 100, height: 30).lines.joined(separator: "\n")
        #expect(screen.contains("killed: kill n1 (key k)"), "\(screen)")
    }
}
