import FlotillaAPI
import Foundation
import Orchestrator

/// A recorded session as the console plays it back: a position on the session's clock, and
/// the model the panels show at that position (the last status before it, the events and
/// tasks up to it). Pure: tests step it and render frames without a terminal.
public struct Playback: Sendable {
    public let transcript: Transcript
    public let startedAt: Date
    /// Seconds into the session.
    public private(set) var position: Double = 0
    public var playing = true
    public var speed = 1.0
    public let duration: Double
    /// Why the last key did nothing here (a live console's key in a recording); the next key clears it.
    public var notice: String?

    let snapshots: [(t: Double, snapshot: ClusterSnapshot)]
    let events: [(t: Double, event: ControlEvent)]
    /// When each operator action's outcome appeared (where `[` and `]` land, so it is on screen).
    let actionTimes: [Double]
    let taskChanges: [(t: Double, line: EventLine)]
    /// When each task was submitted on the session's clock: as its first change recorded it, else
    /// when the load's submit that made it was called.
    let submitted: [String: Double]

    public init(_ transcript: Transcript) {
        self.transcript = transcript
        let start = transcript.header.startedAt ?? Date(timeIntervalSince1970: 0)
        startedAt = start
        snapshots = transcript.statuses.enumerated().map { i, s in (s.t, s.snapshot(startedAt: start, seq: UInt64(i))) }
            .sorted { $0.t < $1.t }
        var events: [(Double, ControlEvent)] = []
        var changes: [(Double, EventLine)] = []
        for line in transcript.lines {
            switch line {
            case .action(let a):
                let done = a.t + Double(a.tookMs) / 1000
                let action = OperatorAction(verb: a.verb, target: a.target, args: a.args, by: a.by, startedAt: start.addingTimeInterval(a.t))
                let kind: ControlEvent.Kind = a.verb == "load" ? .load : a.verb == "recover" || a.by == "recovery" ? .recovery : .action
                events.append((done, ControlEvent(kind, a.result, reason: a.by == "recovery" ? "recovery" : "operator", ok: a.ok,
                                                  at: start.addingTimeInterval(done), category: a.verb, action: action)))
            case .event(let e) where e.category == "task":
                changes.append((e.t, e))
            case .event(let e):
                events.append((e.t, ControlEvent(ControlEvent.Kind(rawValue: e.kind) ?? .observed, node: e.node, e.message, reason: e.reason,
                                                 ok: e.ok, at: start.addingTimeInterval(e.t), category: e.category, durationMs: e.durationMs)))
            default:
                break
            }
        }
        self.events = events.sorted { $0.0 < $1.0 }.map { (t: $0.0, event: $0.1) }
        taskChanges = changes.sorted { $0.0 < $1.0 }.map { (t: $0.0, line: $0.1) }
        actionTimes = transcript.actions.filter(\.isOperators).map { $0.t + Double($0.tookMs) / 1000 }.sorted()
        var submitted: [String: Double] = [:]
        for line in transcript.lines {
            if case .op(let o) = line, let id = o.task, submitted[id] == nil { submitted[id] = o.t }
        }
        for (_, e) in changes { if let id = e.task, let at = e.submittedT { submitted[id] = at } }
        self.submitted = submitted
        duration = transcript.lines.map { line -> Double in
            if case .action(let a) = line { return a.t + Double(a.tookMs) / 1000 }
            if case .op(let o) = line { return o.returnedT }
            return line.t
        }.max() ?? 0
    }

    /// Moves the clock on by `seconds` of wall time while playing; stops at the end.
    public mutating func advance(by seconds: Double) {
        guard playing else { return }
        seek(position + seconds * speed)
        if position >= duration { playing = false }
    }

    public mutating func seek(_ t: Double) { position = min(max(0, t), duration) }

    /// The times a step lands on: every event (`←`/`→`) or every operator action (`[`/`]`).
    func marks(actionsOnly: Bool) -> [Double] {
        actionsOnly ? actionTimes : Array(Set(events.map(\.t) + snapshots.map(\.t) + actionTimes + taskChanges.map(\.t))).sorted()
    }

    /// Jumps to the next (or previous) mark, pausing there.
    public mutating func step(forward: Bool, actionsOnly: Bool) {
        let marks = marks(actionsOnly: actionsOnly)
        let epsilon = 0.0005
        if forward, let next = marks.first(where: { $0 > position + epsilon }) { seek(next) }
        if !forward { seek(marks.last(where: { $0 < position - epsilon }) ?? 0) }
        playing = false
    }

    /// A recorded status as it stands `seconds` after it was taken: status lines are written
    /// only when more than the clock changed, so uptimes and the time since a node last answered
    /// run on from the recorded values with the session's clock.
    func aged(_ s: ClusterSnapshot, by seconds: Double) -> ClusterSnapshot {
        var s = s
        let ms = UInt64(max(0, seconds) * 1000)
        s.takenAt = s.takenAt.addingTimeInterval(max(0, seconds))
        for i in s.nodes.indices where s.nodes[i].up && s.nodes[i].process != .paused {
            s.nodes[i].status?.age(by: ms)
        }
        return s
    }

    /// The plan a recorded `load on` ran, from its action's arguments (`rate`, `readEvery`, `kind`, `duration`).
    static func loadPlan(_ a: OperatorAction) -> LoadPlan? {
        guard a.target == "on", let args = a.args, let rate = args["rate"].flatMap(Double.init), rate > 0 else { return nil }
        let duration = args["duration"].flatMap { try? TimeSpan(parsing: $0) }
        return LoadPlan(rate: rate, kind: args["kind"] ?? "?", readEvery: args["readEvery"].flatMap(Int.init) ?? 0, duration: duration)
    }

    /// What the panels show at the current position.
    public func model(base: ConsoleModel) -> ConsoleModel {
        var m = base
        let upTo = position + 0.0005
        let empty = ClusterSnapshot(seq: 0, takenAt: startedAt, nodes: transcript.header.cluster.ids.map { NodeObservation(id: $0, adminAddress: "-") })
        let seen = snapshots.prefix { $0.t <= upTo }
        m.snapshot = seen.last.map { aged($0.snapshot, by: position - $0.t) } ?? empty
        // The sparkline: committed entries per second between the statuses seen so far.
        m.opsHistory = zip(seen.dropLast().suffix(30), seen.dropFirst().suffix(30)).compactMap { a, b in
            guard b.t > a.t, let ca = a.snapshot.leader?.commit, let cb = b.snapshot.leader?.commit, cb >= ca else { return nil }
            return Double(cb - ca) / (b.t - a.t)
        }
        m.events = events.prefix { $0.t <= upTo }.map(\.event).suffix(500)
        // The load as the last `load` action left it: on (until its duration ran out) with its plan, or off.
        if let last = events.last(where: { $0.t <= upTo && $0.event.action?.verb == "load" }), let a = last.event.action {
            let plan = Playback.loadPlan(a)
            let ended = plan?.duration.map { last.t + Double($0.milliseconds) / 1000 <= position } ?? false
            m.loadOn = a.target == "on" && last.event.ok && !ended
            m.loadPlan = m.loadOn ? plan : nil
        }
        m.now = startedAt.addingTimeInterval(position)
        var tasks: [String: TaskView] = [:]
        var order: [String] = []
        for (t, e) in taskChanges where t <= upTo {
            guard let id = e.task else { continue }
            let at = UInt64(startedAt.addingTimeInterval(t).timeIntervalSince1970 * 1000)
            if tasks[id] == nil { order.append(id) }
            let submitted = tasks[id]?.submittedAt ?? self.submitted[id].map { UInt64(startedAt.addingTimeInterval($0).timeIntervalSince1970 * 1000) } ?? at
            tasks[id] = TaskView(id: id, key: "", kind: e.taskKind ?? "-", args: [:], target: nil, state: e.state ?? .unknown("?"), node: e.node, epoch: 0,
                                 attempts: e.attempts ?? 0, maxAttempts: 0, submittedAt: submitted, updatedAt: at, result: nil, error: nil)
        }
        m.tasks = order.reversed().compactMap { tasks[$0] }
        m.playback = PlaybackBar(position: position, duration: duration, playing: playing, speed: speed,
                                 actions: actionTimes.filter { $0 <= upTo }.count, totalActions: actionTimes.count, notice: notice)
        return m
    }
}

/// What the time bar shows.
public struct PlaybackBar: Sendable, Equatable {
    public var position: Double
    public var duration: Double
    public var playing: Bool
    public var speed: Double
    /// Operator actions up to the position, and in all.
    public var actions: Int
    public var totalActions: Int
    /// Why the last key did nothing (it replaces the bar's keys but `? help` and `q quit`).
    public var notice: String?

    public init(position: Double, duration: Double, playing: Bool, speed: Double, actions: Int, totalActions: Int, notice: String? = nil) {
        self.position = position
        self.duration = duration
        self.playing = playing
        self.speed = speed
        self.actions = actions
        self.totalActions = totalActions
        self.notice = notice
    }
}
