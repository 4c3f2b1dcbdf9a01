import FlotillaAPI
import Foundation
import Orchestrator

/// Lays the console out for a terminal size and draws the model into a canvas. Narrow
/// terminals drop the nodes table's least useful columns first (address, uptime, leader,
/// applied; never status, lag or tasks), then the reachability matrix; tasks and events stack
/// when they cannot stand side by side, and short terminals keep the events alone.
public enum ConsoleView {
    public static let minWidth = 60
    public static let minHeight = 12

    public static func render(_ m: ConsoleModel, width: Int, height: Int, ascii: Bool = false, keys: KeyMap = KeyMap()) -> Canvas {
        var c = Canvas(width: width, height: height, ascii: ascii)
        guard width >= minWidth, height >= minHeight else {
            let msg = "terminal too small: need \(minWidth)x\(minHeight), have \(width)x\(height)"
            var y = 0
            var rest = Substring(msg)
            while !rest.isEmpty, y < height {
                c.put(String(rest.prefix(max(1, width))), x: 0, y: y)
                rest = rest.dropFirst(max(1, width))
                y += 1
            }
            return c
        }
        header(&c, m)
        let nodesHeight = min(m.snapshot.nodes.count + 3, max(5, (height - 3) / 2))
        let matrixWidth = 6 + 3 * m.snapshot.nodes.count
        let showMatrix = width >= 100 && matrixWidth <= width / 3
        let nodesWidth = showMatrix ? width - matrixWidth : width
        nodes(&c, m, x: 0, y: 1, w: nodesWidth, h: nodesHeight)
        if showMatrix { reachability(&c, m, x: nodesWidth, y: 1, w: matrixWidth, h: nodesHeight) }
        let bottomY = 1 + nodesHeight
        let bottomH = height - bottomY - 1
        if bottomH >= 3 {
            if width >= 110 {
                let tw = width * 45 / 100
                tasks(&c, m, x: 0, y: bottomY, w: tw, h: bottomH)
                events(&c, m, x: tw, y: bottomY, w: width - tw, h: bottomH)
            } else if bottomH >= stackedMinHeight {
                let th = bottomH * 2 / 5
                tasks(&c, m, x: 0, y: bottomY, w: width, h: th)
                events(&c, m, x: 0, y: bottomY + th, w: width, h: bottomH - th)
            } else {
                events(&c, m, x: 0, y: bottomY, w: width, h: bottomH)
            }
        }
        keybar(&c, m, keys: keys)
        if let overlay = m.overlay { draw(overlay, &c, m, keys: keys) }
        return c
    }

    // MARK: - Panels

    /// Below this height the bottom area holds the events alone; from it, tasks above events.
    static let stackedMinHeight = 10

    static func header(_ c: inout Canvas, _ m: ConsoleModel) {
        let clock = clockTime(m.now)
        let room = c.width - clock.count - 3  // a gap of two before the clock
        // The sparkline shrinks, then the node count and the recovery mode go, then the
        // sparkline; what is left (leader, term, commit, rate, REC, modes) always shows.
        let variants: [(spark: Int, count: Bool, recovery: Bool)] = [(12, true, true), (6, true, true), (6, false, true), (6, false, false), (0, false, false)]
        for v in variants {
            let line = headerLine(m, spark: v.spark, count: v.count, recovery: v.recovery, ascii: c.ascii)
            if line.count <= room || v.spark == 0 {
                c.put(line, x: 0, y: 0, role: .title, bold: true, maxWidth: room)
                break
            }
        }
        c.put(clock, x: c.width - clock.count - 1, y: 0, role: .dim)
    }

    static func headerLine(_ m: ConsoleModel, spark: Int, count: Bool, recovery: Bool, ascii: Bool) -> String {
        let s = m.snapshot
        var parts = ["flotilla"]
        if count { parts.append("\(s.nodes.count) nodes") }
        if let l = s.leader {
            parts += ["leader \(l.id)", "term \(l.term)", "commit \(grouped(l.commit))"]
        } else {
            parts.append(s.uninitialized ? "uninitialized" : "NO LEADER")
        }
        let rate = "\(compact(m.opsHistory.last ?? 0)) ops/s"
        parts.append(spark > 0 ? "\(rate) \(sparkline(m.opsHistory.suffix(spark), ascii: ascii))" : rate)
        if recovery { parts.append("recovery \(m.recovery.rawValue)") }
        if m.playback != nil { parts.append("PLAYBACK") }
        if m.loadOn { parts.append("load on") }
        if m.readonly { parts.append("read-only") }
        var line = " " + parts.joined(separator: ascii ? " | " : " · ")
        if m.recording { line += "  \(ascii ? "*" : "●") REC" }
        return line
    }

    static let nodeHeader = ["ID", "ADDRESS", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LAG", "STATUS", "TASKS", "UPTIME"]
    /// The columns a narrow terminal drops, first to last; the others always show.
    static let droppableColumns = ["ADDRESS", "UPTIME", "LEADER", "APPLIED"]

    /// The columns (indices into `nodeHeader`) that fit `room` cells, given every column's width.
    static func nodeColumns(widths: [Int], room: Int) -> [Int] {
        var kept = Array(nodeHeader.indices)
        func total() -> Int { kept.map { widths[$0] }.reduce(0, +) + 2 * (kept.count - 1) }
        for name in droppableColumns where total() > room {
            kept.removeAll { nodeHeader[$0] == name }
        }
        return kept
    }

    /// The row of one node, with the role word and status made plain without colour.
    static func nodeRow(_ o: NodeObservation, _ s: ClusterSnapshot, leader: NodeStatus?, ascii: Bool) -> [String] {
        var row = s.row(o, leader: leader)
        // A local node's paused process is known before its last answer goes stale.
        if o.live == nil || o.process == .paused {
            let down = o.death != nil ? "DIED" : "DOWN"
            let what = o.process == .paused ? (ascii ? "|| PAUSED" : "‖ PAUSED") : (ascii ? "x " : "✕ ") + down
            row[2] = what
            row[8] = o.staleness(at: s.takenAt).map { "stale \(formatAge($0))" } ?? "not answering"
        } else if let st = o.live {
            if st.role == .leader { row[2] = ascii ? "* LEADER" : "★ LEADER" }
            if !st.faults.drop.isEmpty { row[8] = (ascii ? "# cut " : "✂ cut ") + row[8] }
        }
        return row
    }

    static func role(for o: NodeObservation) -> Role {
        guard let st = o.live, o.process != .paused else { return .down }
        switch st.role {
        case .leader: return .leader
        case .candidate, .preCandidate: return .candidate
        case .learner: return .learner
        case .follower, .unknown: return st.members.first { $0.id == st.id }?.voter == false ? .learner : .follower
        }
    }

    static func healthRole(_ text: String) -> Role {
        if text.contains("healthy") { return .healthy }
        if text.contains("catching") || text.contains("snapshot") { return .catchingUp }
        if text.contains("unreachable") || text.contains("cut") || text.contains("stale") || text.contains("not answering")
            || text.contains("storage") { return .unreachable }
        return .text
    }

    static func nodes(_ c: inout Canvas, _ m: ConsoleModel, x: Int, y: Int, w: Int, h: Int) {
        let s = m.snapshot
        c.box(x: x, y: y, width: w, height: h, title: "Nodes")
        let leader = s.leader
        let rows = s.nodes.map { nodeRow($0, s, leader: leader, ascii: c.ascii) }
        let widths = nodeHeader.indices.map { i in ([nodeHeader] + rows).map { $0[i].count }.max() ?? 0 }
        let columns = nodeColumns(widths: widths, room: w - 3)
        func draw(_ cells: [String], at row: Int, roles: [Role], bold: Bool) {
            var col = x + 2
            for i in columns {
                let room = x + w - 1 - col
                if room <= 0 { break }
                c.put(cells[i], x: col, y: row, role: roles[i], bold: bold, maxWidth: room)
                col += widths[i] + 2
            }
        }
        draw(nodeHeader, at: y + 1, roles: Array(repeating: .dim, count: nodeHeader.count), bold: true)
        for (i, o) in s.nodes.enumerated() where y + 2 + i < y + h - 1 {
            let row = rows[i]
            var roles = Array(repeating: Role.text, count: row.count)
            roles[2] = role(for: o)
            if let t = o.status?.term { roles[3] = .term(t) }
            roles[8] = o.live == nil ? .down : healthRole(row[8])
            draw(row, at: y + 2 + i, roles: roles, bold: o.live?.role == .leader)
            if i == m.selected {
                c.put(c.ascii ? ">" : "▶", x: x + 1, y: y + 2 + i, role: .selection)
                c.paint(x: x + 1, y: y + 2 + i, width: w - 2, role: .selection)
            }
        }
    }

    /// Whether `a` can send to `b`: both answer and neither's rules drop the other that way.
    static func reaches(_ a: NodeObservation, _ b: NodeObservation) -> Bool? {
        guard let sa = a.live, let sb = b.live else { return nil }
        let outOfA = sa.faults.drop.contains(b.id) && sa.faults.direction != .in
        let intoB = sb.faults.drop.contains(a.id) && sb.faults.direction != .out
        return !(outOfA || intoB)
    }

    static func reachability(_ c: inout Canvas, _ m: ConsoleModel, x: Int, y: Int, w: Int, h: Int) {
        let nodes = m.snapshot.nodes
        c.box(x: x, y: y, width: w, height: h, title: "Reach")
        for (j, b) in nodes.enumerated() { c.put(String(b.id.suffix(2)).leftPad(3), x: x + 4 + 3 * j, y: y + 1, role: .dim) }
        for (i, a) in nodes.enumerated() where y + 2 + i < y + h - 1 {
            c.put(String(a.id.suffix(3)), x: x + 1, y: y + 2 + i, role: .dim)
            for (j, b) in nodes.enumerated() {
                let (mark, role): (String, Role) = i == j ? (c.ascii ? "." : "·", .dim)
                    : reaches(a, b).map { $0 ? (c.ascii ? "o" : "●", .healthy) : (c.ascii ? "x" : "✕", .unreachable) } ?? ("?", .down)
                c.put(mark, x: x + 6 + 3 * j, y: y + 2 + i, role: role)
            }
        }
    }

    static func tasks(_ c: inout Canvas, _ m: ConsoleModel, x: Int, y: Int, w: Int, h: Int) {
        var title = "Tasks"
        if let n = m.taskNode { title += " on \(n)" }
        if let s = m.taskState { title += " \(s)" }
        c.box(x: x, y: y, width: w, height: h, title: title)
        let nowMs = UInt64(m.now.timeIntervalSince1970 * 1000)
        let header = ["ID", "KIND", "NODE", "STATE", "ATT", "AGE"]
        let shown = Array(m.visibleTasks.prefix(max(0, h - 3)))
        let rows = shown.map { t in
            [t.id, t.kind, t.node ?? "-", t.state.rawValue, "\(t.attempts)", formatAge(Double(nowMs > t.submittedAt ? nowMs - t.submittedAt : 0) / 1000)]
        }
        let table = TextTable.lines(header, Array(rows))
        for (i, line) in table.enumerated() where i < h - 2 {
            let role: Role = i == 0 ? .dim : shown[i - 1].state == .failed ? .unreachable : shown[i - 1].state == .running ? .catchingUp : .text
            c.put(String(line), x: x + 1, y: y + 1 + i, role: role, bold: i == 0, maxWidth: w - 2)
        }
        if rows.isEmpty { c.put("no tasks yet (s submits one, l turns load on)", x: x + 1, y: y + 2, role: .dim, maxWidth: w - 2) }
    }

    static func eventRole(_ e: ControlEvent) -> Role {
        if !e.ok { return .eventError }
        switch e.kind {
        case .action: return .eventAction
        case .observed: return .eventObserved
        case .recovery: return .eventRecovery
        case .invariant: return .eventInvariant
        case .load: return .eventLoad
        }
    }

    static func events(_ c: inout Canvas, _ m: ConsoleModel, x: Int, y: Int, w: Int, h: Int) {
        c.box(x: x, y: y, width: w, height: h, title: m.eventFilter.isEmpty ? "Events" : "Events /\(m.eventFilter)")
        let shown = m.visibleEvents.suffix(max(0, h - 2))
        for (i, e) in shown.enumerated() {
            let time = clockTime(e.at)
            var text = "\(time) \(e.message)"
            if e.reason == "operator" { text += " (you)" } else if let r = e.reason, e.kind == .recovery { text += " [\(r)]" }
            c.put(text, x: x + 1, y: y + 1 + i, role: eventRole(e), maxWidth: w - 2)
        }
    }

    static func keybar(_ c: inout Canvas, _ m: ConsoleModel, keys: KeyMap) {
        let y = c.height - 1
        let text: String
        switch m.overlay {
        case .prompt(let kind, let input)?:
            text = "\(kind.rawValue)\(input)_" + (m.completions.isEmpty ? "" : "    (\(m.completions.joined(separator: " ")))")
        case .confirm(let question, _)?: text = "\(question) [y/N]"
        default:
            if let bar = m.playback {
                timebar(&c, bar, y: y)
                return
            }
            text = " " + keys.bar(readonly: m.readonly, local: m.local).map { "\($0.key) \($0.label)" }.joined(separator: "  ")
        }
        c.put(String(repeating: " ", count: c.width), x: 0, y: y, role: .keybar)
        c.put(text, x: 0, y: y, role: .keybar, bold: m.overlay != nil, maxWidth: c.width)
    }

    /// The playback line: state, position, a bar with the position, actions so far, keys.
    static func timebar(_ c: inout Canvas, _ b: PlaybackBar, y: Int) {
        let state = b.playing ? (c.ascii ? ">" : "▶") : (c.ascii ? "||" : "⏸")
        let speed = b.speed == 1 ? "" : String(format: " x%g", b.speed)
        let left = " \(state) \(clockSpan(b.position)) / \(clockSpan(b.duration))\(speed)  "
        let keys = c.width >= 130 ? "  space play  ←/→ event  [ ] action  ? help  q quit" : "  ? keys  q quit"
        let right = "  action \(b.actions)/\(b.totalActions)" + keys
        let room = max(10, c.width - left.count - right.count)
        let filled = b.duration > 0 ? Int((b.position / b.duration * Double(room - 1)).rounded()) : 0
        let bar = (0..<room).map { i -> String in
            i == filled ? (c.ascii ? "O" : "●") : i < filled ? (c.ascii ? "=" : "━") : (c.ascii ? "-" : "─")
        }.joined()
        c.put(String(repeating: " ", count: c.width), x: 0, y: y, role: .keybar)
        c.put(left + bar + right, x: 0, y: y, role: .keybar, maxWidth: c.width)
    }

    /// 1:05.3 on the session's clock.
    static func clockSpan(_ t: Double) -> String {
        String(format: "%d:%04.1f", Int(t) / 60, t.truncatingRemainder(dividingBy: 60))
    }

    static func draw(_ overlay: Overlay, _ c: inout Canvas, _ m: ConsoleModel, keys: KeyMap) {
        let lines: [String], title: String
        switch overlay {
        case .help:
            lines = m.playback != nil ? KeyMap.playbackHelp : keys.help(readonly: m.readonly, local: m.local)
            title = "Help (Esc closes)"
        case .history:
            if let h = m.history {
                lines = [h.summary] + h.timeline(width: max(20, c.width - 6))
            } else {
                lines = ["No history checked yet: turn the load on (l), then off again;", "its submits and reads are then checked."]
            }
            title = "History check (Esc closes)"
        default:
            return
        }
        // One column when it fits; else keys and commands side by side.
        var columns = [lines]
        if lines.count + 2 > c.height, let split = lines.firstIndex(of: "") {
            columns = [Array(lines[..<split]), Array(lines[(split + 1)...])]
        }
        let widths = columns.map { ($0.map(\.count).max() ?? 20) + 2 }
        let w = min(c.width - 2, widths.reduce(0, +) + 2)
        let h = min(c.height - 2, (columns.map(\.count).max() ?? 0) + 2)
        let x = (c.width - w) / 2, y = (c.height - h) / 2
        for j in y..<(y + h) { c.put(String(repeating: " ", count: w), x: x, y: j, role: .text) }
        c.box(x: x, y: y, width: w, height: h, title: title)
        var cx = x + 2
        for (i, column) in columns.enumerated() {
            for (row, line) in column.prefix(h - 2).enumerated() {
                c.put(line, x: cx, y: y + 1 + row, role: line.hasSuffix(":") ? .title : .text, maxWidth: max(0, x + w - 1 - cx))
            }
            cx += widths[i]
        }
    }

    // MARK: - Formatting

    /// HH:MM:SS on a 24-hour clock, local time.
    static func clockTime(_ d: Date) -> String {
        var t = time_t(d.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    static func grouped(_ n: UInt64) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.enumerated() {
            if i > 0, (s.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }

    static func compact(_ v: Double) -> String {
        v >= 1000 ? "\(Int(v / 100) / 10).\(Int(v / 100) % 10)k" : "\(Int(v.rounded()))"
    }

    static func sparkline<S: Sequence>(_ values: S, ascii: Bool) -> String where S.Element == Double {
        let v = Array(values)
        guard let top = v.max(), top > 0 else { return String(repeating: ascii ? "_" : "▁", count: v.count) }
        let bars: [Character] = ascii ? ["_", ".", "-", "=", "#"] : ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        return String(v.map { bars[min(bars.count - 1, Int($0 / top * Double(bars.count - 1)))] })
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
