import FlotillaAPI
import Foundation
import Orchestrator
import Testing
@testable import Console

/// The whole screen, cell for cell, at the sizes operators use: 80x24 (the most common),
/// 100x30 and 160x45. The goldens live in `Tests/fixtures/screens`; after a deliberate
/// change to the layout, `FLOTILLA_UPDATE_GOLDEN=1 swift test --filter GoldenScreenTests`
/// writes them anew (then read the diff).
@Suite("Golden screens")
struct GoldenScreenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/screens")

    /// A busy moment: a partition, a learner catching up, a dead node, tasks and events.
    static func busyModel() -> ConsoleModel {
        var m = model(mixedSnapshot())
        m.now = t0
        m.opsHistory = [0, 3, 12, 40, 85, 120, 118, 96, 130, 141, 90, 60]
        m.recording = true
        let ms = UInt64(t0.timeIntervalSince1970 * 1000)
        m.tasks = (1...12).map { (i: Int) -> TaskView in
            let state: TaskState = i <= 3 ? .running : i <= 6 ? .queued : .succeeded
            let node: String? = i <= 3 ? "n\(i % 2 + 1)" : nil
            let submitted: UInt64 = ms - UInt64(i) * 700
            return TaskView(id: "t-\(100 + i)", key: "k\(i)", kind: i % 3 == 0 ? "hash" : "sleep", args: [:], target: nil,
                            state: state, node: node, epoch: 1, attempts: 1, maxAttempts: 3, submittedAt: submitted, updatedAt: 0,
                            result: nil, error: nil)
        }
        m.events = [
            ControlEvent(.observed, node: "n3", "n3 died: storage failed: fsync …/wal-0000000000000001.log failed: Input/output error (errno 5)",
                         ok: false, at: t0.addingTimeInterval(-9), category: "node-died"),
            ControlEvent(.action, "partition {n5} | {n1,n2,n3,n4}: rules set", reason: "operator", at: t0.addingTimeInterval(-6)),
            ControlEvent(.observed, node: "n1", "n1 elected leader, term 7 (0.41 s)", at: t0.addingTimeInterval(-5), category: "election"),
            ControlEvent(.observed, node: "n4", "members: n1,n2,n3,n4(learner),n5", at: t0.addingTimeInterval(-2), category: "membership"),
        ]
        return m
    }

    /// The busy moment with faults on: `delay n1->n2 100ms 20ms`, `loss n1->n2 10%`,
    /// `reorder n2<->n4 20%`, `disk n2 slow 50ms`, `skew n4 3x`.
    static func faultyModel() -> ConsoleModel {
        var m = busyModel()
        m.snapshot = faultySnapshot()
        m.events += [
            ControlEvent(.action, "delay 100ms±20 on n1->n2: set on n1", reason: "operator", at: t0.addingTimeInterval(-1)),
            ControlEvent(.action, "disk slow 50ms on n2: set on n2", reason: "operator", at: t0),
        ]
        return m
    }

    static func render(width: Int, height: Int, _ m: ConsoleModel = busyModel()) -> String {
        // The clock reads local time: pin the zone so the goldens hold anywhere.
        setenv("TZ", "UTC", 1)
        tzset()
        var m = m
        ConsoleView.clampOverlay(&m, width: width, height: height)
        return ConsoleView.render(m, width: width, height: height).lines.joined(separator: "\n") + "\n"
    }

    func matchGolden(_ name: String, _ m: ConsoleModel, _ size: (Int, Int)) throws {
        let text = Self.render(width: size.0, height: size.1, m)
        let file = Self.directory.appendingPathComponent("\(name)-\(size.0)x\(size.1).txt")
        if ProcessInfo.processInfo.environment["FLOTILLA_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: file, encoding: .utf8)
        let mismatch = zip(text.split(separator: "\n", omittingEmptySubsequences: false),
                           golden.split(separator: "\n", omittingEmptySubsequences: false)).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(text == golden, "line \(mismatch.map { $0.offset + 1 } ?? -1) differs:\n  got  \(mismatch?.element.0 ?? "")\n  want \(mismatch?.element.1 ?? "")")
    }

    @Test(arguments: [(80, 24), (100, 30), (160, 45)])
    func theWholeScreenMatchesItsGolden(_ size: (Int, Int)) throws {
        try matchGolden("busy", Self.busyModel(), size)
    }

    /// Link faults under the nodes (80x24) or in the matrix's panel (wide), disk and clock faults in the status cells.
    @Test(arguments: [(80, 24), (100, 30), (160, 45)])
    func theScreenWithFaultsMatchesItsGolden(_ size: (Int, Int)) throws {
        try matchGolden("faults", Self.faultyModel(), size)
    }

    /// The help scrolled to its end (G): the last command and where the page stands.
    @Test(arguments: [(80, 24), (100, 30), (160, 45)])
    func theHelpAtItsEndMatchesItsGolden(_ size: (Int, Int)) throws {
        var m = Self.busyModel()
        m.overlay = .help
        m.overlayScroll = ViewKeys.end
        try matchGolden("help-end", m, size)
    }

    /// Enter on an event: the whole of it, over the screen.
    @Test(arguments: [(80, 24), (100, 30), (160, 45)])
    func anOpenEventMatchesItsGolden(_ size: (Int, Int)) throws {
        var m = Self.busyModel()
        m.focus = .events
        m.selectedEvent = 3
        m.overlay = .event(m.events[0])
        try matchGolden("event", m, size)
    }

    /// A recording played back: its clock, only the keys that work there.
    @Test(arguments: [(80, 24), (100, 30), (160, 45)])
    func playbackMatchesItsGolden(_ size: (Int, Int)) throws {
        var p = Playback(recordedSession())
        p.playing = false
        p.seek(3.5)
        var base = ConsoleModel(snapshot: ClusterSnapshot(seq: 0, takenAt: t0, nodes: []))
        base.readonly = true
        base.local = false
        try matchGolden("playback", p.model(base: base), size)
    }

    /// `L`: who led when, newest first, with why each reign ended, over the busy screen with its load on.
    @Test(arguments: [(80, 24), (100, 30), (160, 45)])
    func theLeadershipRecordMatchesItsGolden(_ size: (Int, Int)) throws {
        var m = Self.busyModel()
        m.loadOn = true
        m.loadPlan = .standard
        m.events = LeadershipRecordTests().session().map { e in var e = e; e.at = e.at.addingTimeInterval(-60); e.action?.startedAt = e.at; return e }
        m.overlay = .leaders
        try matchGolden("leaders", m, size)
    }

    /// What an 80-column operator must always see, whatever the goldens say.
    @Test func at80ColumnsStatusLagAndTasksShowAndTheHeaderClearsTheClock() {
        let lines = Self.render(width: 80, height: 24).split(separator: "\n").map(String.init)
        let header = lines[1...].first { $0.contains(" ID ") } ?? ""
        for column in ["ROLE", "TERM", "COMMIT", "LAG", "STATUS", "TASKS"] { #expect(header.contains(column), "\(column) in \(header)") }
        #expect(!header.contains("ADDRESS"), "the address gives way first")
        let n4 = lines.first { $0.contains("n4 ") } ?? ""
        #expect(n4.contains("snapshot 62%") && n4.contains("1/0/4/0"), "\(n4)")
        #expect(lines[0].contains("● REC") && lines[0].contains("commits/s"), "the rate and the recording show: \(lines[0])")
        #expect(lines[0].hasSuffix("  " + ConsoleView.clockTime(t0)), "a gap before the clock: \(lines[0])")
        #expect(lines.contains { $0.contains("Tasks") } && lines.contains { $0.contains("Events") })
        #expect(lines.allSatisfy { $0.count <= 80 })
    }
}
