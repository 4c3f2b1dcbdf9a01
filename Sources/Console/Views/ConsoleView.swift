import FlotillaAPI
import Foundation
import Orchestrator

/// Lays the console out for a terminal size and draws the model into a canvas. Narrow
/// terminals drop the nodes table's least useful columns first (address, uptime, leader,
/// applied; never status, lag or tasks: past that the status cell's end gives way), then the
/// reachability matrix; tasks and events stack when they cannot stand side by side, and short
/// terminals keep the events alone. Link faults are listed under the matrix, or under the nodes
/// when it is hidden or too narrow for them; disk and clock faults follow a node's status.
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
        let count = m.snapshot.nodes.count
        let matrixFits = width >= 100 && 6 + 3 * count <= width / 3
        // Without the matrix, who is cut from whom is one line of its own above the link faults.
        let cuts = matrixFits ? [] : FaultLedger.cutSummary(m.snapshot).map { [(ascii ? "# " : "✂ ") + $0] } ?? []
        let faults = linkFaultLines(m.snapshot, ascii: ascii)
        // The link faults take the rows under the nodes while the panel is under half the screen,
        // and always one (a row more than half) so they show on any screen.
        let cap = max(5, (height - 3) / 2)
        // The line of cuts takes a row of its own on top of that.
        let nodesHeight = (faults.isEmpty ? min(count + 3, cap) : min(count + 3 + faults.count, max(cap, min(count + 3, cap) + 1))) + cuts.count
        let faultRows = faults.isEmpty ? 0 : min(faults.count, max(1, nodesHeight - 3 - cuts.count - count))
        let layout = NodesLayout(rows: nodesHeight - 3 - faultRows - cuts.count, faults: cuts + shown(faults, rows: faultRows))
        var matrixWidth = 6 + 3 * count
        let showMatrix = matrixFits
        // Beside the matrix when the panel can widen to hold them (up to a third of the screen), else under the nodes.
        let faultsWidth = (layout.faults.map(\.count).max() ?? 0) + 3
        let faultsInMatrix = showMatrix && !layout.faults.isEmpty && faultsWidth <= width / 3
        if faultsInMatrix { matrixWidth = max(matrixWidth, faultsWidth) }
        let nodesWidth = showMatrix ? width - matrixWidth : width
        nodes(&c, m, x: 0, y: 1, w: nodesWidth, h: nodesHeight, layout: layout, faultLines: !faultsInMatrix)
        if showMatrix { reachability(&c, m, x: nodesWidth, y: 1, w: matrixWidth, h: nodesHeight, layout: layout, faultLines: faultsInMatrix) }
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
        // sparkline, then the program's name; what is left (leader, term, commit, rate, REC,
        // modes) always shows, ending in `…` where even that does not fit.
        // The load's rates in words (`15 writes/s + 5 reads/s`) give way to their short form first,
        // and that to `load on` last of all.
        let variants: [(spark: Int, count: Bool, recovery: Bool, name: Bool, load: LoadWording)] =
            [(12, true, true, true, .words), (6, true, true, true, .words), (6, true, true, true, .short), (6, false, true, true, .short),
             (6, false, false, true, .short), (0, false, false, true, .short), (0, false, false, false, .short), (0, false, false, false, .on)]
        for (i, v) in variants.enumerated() {
            let line = headerLine(m, spark: v.spark, count: v.count, recovery: v.recovery, name: v.name, load: v.load, ascii: c.ascii)
            if line.count <= room || i == variants.count - 1 {
                c.put(line, x: 0, y: 0, role: .title, bold: true, maxWidth: room)
                break
            }
        }
        c.put(clock, x: c.width - clock.count - 1, y: 0, role: .dim)
    }

    static func headerLine(_ m: ConsoleModel, spark: Int, count: Bool, recovery: Bool, name: Bool = true, load: LoadWording = .words, ascii: Bool) -> String {
        let s = m.snapshot
        var parts = name ? ["flotilla"] : []
        if count { parts.append("\(s.nodes.count) nodes") }
        if let l = s.leader {
            parts += ["leader \(l.id)", "term \(l.term)", "commit \(grouped(l.commit))"]
        } else {
            parts.append(s.uninitialized ? "uninitialized" : "NO LEADER")
        }
        // The event says what to do (`unauthorized: set FLOTILLA_TOKEN`); the header keeps it short,
        // and before the rate, so a narrow header keeps it.
        if m.tokenRefused { parts.append("token refused (\(KeyMap.tokenMark) keys)") }
        // Entries the leader committed per second, between its last two answers (CommitRate).
        let rate = "\(compact(m.opsHistory.last ?? 0)) commits/s"
        parts.append(spark > 0 && !m.opsHistory.isEmpty ? "\(rate) \(sparkline(m.opsHistory.suffix(spark), ascii: ascii))" : rate)
        if recovery { parts.append("recovery \(m.recovery.rawValue)") }
        if m.playback != nil { parts.append("PLAYBACK") }
        if m.loadOn { parts.append(loadText(m.loadPlan, load)) }
        // A recording is read-only by nature: PLAYBACK says it.
        if m.readonly, m.playback == nil { parts.append("read-only") }
        var line = " " + parts.joined(separator: ascii ? " | " : " · ")
        if m.recording { line += "  \(ascii ? "*" : "●") REC" }
        return line
    }

    /// How much the header says of the load: its rates in words, in short, or only that it runs.
    enum LoadWording { case words, short, on }

    /// What the running load sends, writes and reads apart (its plan: operations split by the read
    /// share): `load 15 writes/s + 5 reads/s`, or short `load 15w+5r/s`; `load on` when the plan is
    /// not known or nothing else fits.
    static func loadText(_ plan: LoadPlan?, _ wording: LoadWording) -> String {
        guard let plan, wording != .on else { return "load on" }
        let words = wording == .words
        let w = LoadPlan.number(plan.writeRate), r = LoadPlan.number(plan.readRate)
        guard plan.readRate > 0 else { return words ? "load \(w) writes/s" : "load \(w)w/s" }
        return words ? "load \(w) writes/s + \(r) reads/s" : "load \(w)w+\(r)r/s"
    }

    static let nodeHeader = ["ID", "ADDRESS", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LAG", "STATUS", ClusterSnapshot.tasksHeader, "UPTIME"]
    /// The tasks column's title where `TASKS q/r/d/f` does not fit (the legend is then in the panel's title).
    static let shortTasksHeader = "TASKS"
    /// The columns a narrow terminal drops, first to last; the others always show.
    static let droppableColumns = ["ADDRESS", "UPTIME", "LEADER", "APPLIED"]

    /// The width each column is given when deciding which columns show: what its values can grow
    /// to, not what they are this frame, so the columns shown at one width stay from frame to
    /// frame. Ids and addresses are the cluster's own and do not change between frames.
    static func plannedWidths(_ s: ClusterSnapshot, header: [String]) -> [Int] {
        let id = s.nodes.map(\.id.count).max() ?? 2
        let address = s.nodes.map(\.adminAddress.count).max() ?? 15
        // ROLE `pre-candidate`, TERM 4 digits, COMMIT/APPLIED 7, LAG 5, STATUS `✂ cut snapshot 62% clock 3x`,
        // TASKS `1/0/4/0` (its header decides more), UPTIME 6. A longer status ends in `…`.
        let planned = [id, address, 13, 4, id, 7, 7, 5, 27, 7, 6]
        return header.indices.map { max(header[$0].count, planned[$0]) }
    }

    /// The node rows the panel shows when it holds `room` of `count`: all when they fit; else a
    /// window that keeps the selection and the leader in view, the leader's row first and the
    /// window around the selection when the two are too far apart for one window.
    static func shownNodeRows(count: Int, room: Int, selected: Int, leader: Int?) -> [Int] {
        guard count > room, room > 0 else { return Array(0..<min(count, max(0, room))) }
        let sel = min(max(0, selected), count - 1)
        let lead = leader ?? sel
        let lo = min(sel, lead), hi = max(sel, lead)
        if hi - lo < room {
            var top = min(lo, count - room)
            if hi >= top + room { top = hi - room + 1 }
            return Array(top..<top + room)
        }
        // The leader pinned first, then the selection's window in the rows left.
        let rest = room - 1
        guard rest > 0 else { return [sel] }
        let others = (0..<count).filter { $0 != lead }
        let at = others.firstIndex(of: sel) ?? 0
        let top = min(max(0, at - rest + 1), others.count - rest)
        return ([lead] + others[top..<top + rest]).sorted()
    }

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
            // Only the leader of the highest term leads; one that still believes it leads an older term is stale.
            if st.role == .leader { row[2] = st.id == leader?.id ? (ascii ? "* LEADER" : "★ LEADER") : "stale ldr" }
            if !st.faults.drop.isEmpty { row[8] = (ascii ? "# cut " : "✂ cut ") + row[8] }
            let tags = nodeFaultTags(st.faults)
            if !tags.isEmpty { row[8] += " " + tags.joined(separator: " ") }
        }
        return row
    }

    /// A node's disk and clock faults as the status cell shows them after its health:
    /// `disk-full`, `slow-disk 50ms`, `clock 3x`.
    static func nodeFaultTags(_ f: FaultSpec) -> [String] {
        var tags: [String] = []
        if f.diskFull { tags.append("disk-full") }
        if f.fsyncDelayMs > 0 { tags.append("slow-disk \(f.fsyncDelayMs)ms") }
        if f.clockRate != 1 { tags.append("clock \(FaultSpec.rateText(f.clockRate))") }
        return tags
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

    /// How the nodes panel (and the matrix beside it) splits its rows: node rows, then the link faults.
    struct NodesLayout {
        var rows: Int
        var faults: [String]
    }

    static func nodes(_ c: inout Canvas, _ m: ConsoleModel, x: Int, y: Int, w: Int, h: Int, layout: NodesLayout? = nil, faultLines: Bool = false) {
        let s = m.snapshot
        c.box(x: x, y: y, width: w, height: h, title: "Nodes")
        let leader = s.leader
        let rows = s.nodes.map { nodeRow($0, s, leader: leader, ascii: c.ascii) }
        // The tasks column's legend in its title (`TASKS q/r/d/f`) where it costs nothing else,
        // else in the panel's title.
        var header = nodeHeader
        let tasksColumn = nodeHeader.firstIndex(of: ClusterSnapshot.tasksHeader)!
        header[tasksColumn] = shortTasksHeader
        var widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        // Which columns show, and the legend's place, follow from the width alone (plannedWidths).
        var planned = plannedWidths(s, header: header)
        var columns = nodeColumns(widths: planned, room: w - 3)
        let used = columns.map { planned[$0] }.reduce(0, +) + 2 * (columns.count - 1)
        if used + nodeHeader[tasksColumn].count - planned[tasksColumn] <= w - 3 {
            header[tasksColumn] = nodeHeader[tasksColumn]
            widths[tasksColumn] = max(widths[tasksColumn], header[tasksColumn].count)
            planned[tasksColumn] = max(planned[tasksColumn], header[tasksColumn].count)
            columns = nodeColumns(widths: planned, room: w - 3)
        } else {
            c.box(x: x, y: y, width: w, height: h, title: "Nodes \(c.ascii ? "-" : "·") TASKS = queued/running/done/failed")
        }
        // Still too wide with every droppable column gone: the status cell gives way (its end),
        // never the tasks after it.
        let status = nodeHeader.firstIndex(of: "STATUS")!
        let total = columns.map { widths[$0] }.reduce(0, +) + 2 * (columns.count - 1)
        if total > w - 3 { widths[status] = max(nodeHeader[status].count, widths[status] - (total - (w - 3))) }
        func draw(_ cells: [String], at row: Int, roles: [Role], bold: Bool) {
            var col = x + 2
            for i in columns {
                let room = x + w - 1 - col
                if room <= 0 { break }
                c.put(cells[i], x: col, y: row, role: roles[i], bold: bold, maxWidth: min(room, widths[i]))
                col += widths[i] + 2
            }
        }
        draw(header, at: y + 1, roles: Array(repeating: .dim, count: header.count), bold: true)
        let shownRows = shownNodeRows(count: s.nodes.count, room: min(layout?.rows ?? h - 3, h - 3), selected: m.selected,
                                      leader: leader.flatMap { l in s.nodes.firstIndex { $0.id == l.id } })
        for (line, i) in shownRows.enumerated() {
            let o = s.nodes[i]
            let row = rows[i]
            var roles = Array(repeating: Role.text, count: row.count)
            roles[2] = o.live?.role == .leader && o.id != leader?.id ? .candidate : role(for: o)
            if let t = o.status?.term { roles[3] = .term(t) }
            roles[8] = o.live == nil ? .down : healthRole(row[8])
            // A node running with a disk or clock fault is not plainly healthy.
            if roles[8] == .healthy, o.live?.faults.nodeIsClean == false { roles[8] = .catchingUp }
            draw(row, at: y + 2 + line, roles: roles, bold: o.live?.role == .leader && o.id == leader?.id)
            if i == m.selected {
                c.put(c.ascii ? ">" : "▶", x: x + 1, y: y + 2 + line, role: .selection)
                c.paint(x: x + 1, y: y + 2 + line, width: w - 2, role: .selection)
            }
        }
        if faultLines, let layout { drawFaults(&c, layout, x: x, y: y, w: w, indent: 2) }
    }

    /// The link faults under the rows of the nodes panel or the matrix: `~ n1->n2 delay 100ms±20 loss 10%`.
    /// Indented as the panel's first column: the nodes' ids (2), the matrix's row names (1).
    static func drawFaults(_ c: inout Canvas, _ layout: NodesLayout, x: Int, y: Int, w: Int, indent: Int) {
        for (i, line) in layout.faults.enumerated() {
            c.put(line, x: x + indent, y: y + 2 + layout.rows + i, role: .catchingUp, maxWidth: w - 1 - indent)
        }
    }

    /// The fault lines that fit `rows`: when some do not, the last row says how many.
    static func shown(_ lines: [String], rows: Int) -> [String] {
        guard lines.count > rows else { return lines }
        guard rows > 0 else { return [] }
        if rows == 1 { return [lines[0] + "  (+\(lines.count - 1) more)"] }
        return Array(lines.prefix(rows - 1)) + ["~ and \(lines.count - rows + 1) more link faults"]
    }

    /// The fault on a's messages to b: its fault on every link with the one on the link to b
    /// on top (delays add up, chances combine as independent ones); nil when clean or unknown.
    static func linkFault(_ a: NodeObservation, to b: String) -> LinkFaultSpec? {
        guard let f = a.live?.faults else { return nil }
        let every = f.everyLink, one = f.links[b] ?? LinkFaultSpec()
        func either(_ p: Double, _ q: Double) -> Double { p == 0 ? q : q == 0 ? p : 1 - (1 - p) * (1 - q) }
        let spec = LinkFaultSpec(delayMs: every.delayMs + one.delayMs, jitterMs: every.jitterMs + one.jitterMs,
                                 loss: either(every.loss, one.loss), duplicate: either(every.duplicate, one.duplicate),
                                 reorder: either(every.reorder, one.reorder))
        return spec.isClean ? nil : spec
    }

    /// One line per distinct link fault, naming its links as the commands that set it take them:
    /// first the faults on every link of a node (`all` when every node has it, `n3->all`
    /// otherwise), then those on single links: a node (every link in and out of it), or
    /// `n1->n2`, `n1<->n2` pairs. A link with both has both; only the rules of nodes that answer are known.
    static func linkFaultLines(_ s: ClusterSnapshot, ascii: Bool) -> [String] {
        struct Pair: Hashable, Comparable {
            var from: String, to: String
            static func < (a: Pair, b: Pair) -> Bool { (a.from, a.to) < (b.from, b.to) }
        }
        let ids = s.nodes.map(\.id)
        let live = s.nodes.filter { $0.live != nil }
        var known: Set<Pair> = []
        var everyLink: [String: [String]] = [:]
        var groups: [String: Set<Pair>] = [:]
        for a in live {
            let f = a.live!.faults
            if !f.everyLink.isClean { everyLink[f.everyLink.summary, default: []].append(a.id) }
            for b in ids where b != a.id {
                let p = Pair(from: a.id, to: b)
                known.insert(p)
                if let one = f.links[b], !one.isClean { groups[one.summary, default: []].insert(p) }
            }
        }
        func name(_ set: Set<Pair>) -> String {
            if set == known { return "all" }
            if let node = ids.first(where: { id in set == known.filter { $0.from == id || $0.to == id } }) { return node }
            var parts: [String] = []
            var left = set
            for p in set.sorted() where left.contains(p) {
                left.remove(p)
                parts.append(left.remove(Pair(from: p.to, to: p.from)) != nil ? "\(p.from)<->\(p.to)" : "\(p.from)->\(p.to)")
            }
            return parts.joined(separator: ", ")
        }
        let every = everyLink.sorted { $0.value[0] < $1.value[0] }.map { summary, senders in
            "~ \(senders.count == live.count ? "all" : senders.map { "\($0)->all" }.joined(separator: ", ")) \(summary)"
        }
        let single = groups.sorted { $0.value.min()! < $1.value.min()! }.map { summary, set in "~ \(name(set)) \(summary)" }
        return (every + single).map { ascii ? $0.replacingOccurrences(of: "±", with: "+-") : $0 }
    }

    /// Whether `a` can send to `b`: both answer and neither's rules drop the other that way.
    static func reaches(_ a: NodeObservation, _ b: NodeObservation) -> Bool? {
        guard let sa = a.live, let sb = b.live else { return nil }
        let outOfA = sa.faults.drop.contains(b.id) && sa.faults.direction != .in
        let intoB = sb.faults.drop.contains(a.id) && sb.faults.direction != .out
        return !(outOfA || intoB)
    }

    /// The node×node matrix: row a, column b is whether a's messages reach b: `●` they do, `~`
    /// they do with a link fault (delay, loss, duplicates, reordering), `✕` cut, `?` unknown.
    static func reachability(_ c: inout Canvas, _ m: ConsoleModel, x: Int, y: Int, w: Int, h: Int, layout: NodesLayout? = nil, faultLines: Bool = false) {
        let nodes = m.snapshot.nodes
        c.box(x: x, y: y, width: w, height: h, title: "Reach")
        for (j, b) in nodes.enumerated() { c.put(String(b.id.suffix(2)).leftPad(3), x: x + 4 + 3 * j, y: y + 1, role: .dim) }
        // The same rows as the nodes panel beside it.
        let leader = m.snapshot.leader.flatMap { l in nodes.firstIndex { $0.id == l.id } }
        let shownRows = shownNodeRows(count: nodes.count, room: min(layout?.rows ?? h - 3, h - 3), selected: m.selected, leader: leader)
        for (line, i) in shownRows.enumerated() {
            let a = nodes[i]
            c.put(String(a.id.suffix(3)), x: x + 1, y: y + 2 + line, role: .dim)
            for (j, b) in nodes.enumerated() {
                let (mark, role): (String, Role) = i == j ? (c.ascii ? "." : "·", .dim)
                    : reaches(a, b).map { reach in
                        !reach ? (c.ascii ? "x" : "✕", .unreachable) : linkFault(a, to: b.id) != nil ? ("~", .catchingUp) : (c.ascii ? "o" : "●", .healthy)
                    } ?? ("?", .down)
                c.put(mark, x: x + 6 + 3 * j, y: y + 2 + line, role: role)
            }
        }
        if faultLines, let layout { drawFaults(&c, layout, x: x, y: y, w: w, indent: 1) }
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
        if rows.isEmpty { c.put(noTasks(m), x: x + 1, y: y + 2, role: .dim, maxWidth: w - 2) }
    }

    /// What an empty tasks panel says: why it is empty, and only keys that work here.
    static func noTasks(_ m: ConsoleModel) -> String {
        var what: [String] = []
        if let s = m.taskState { what.append(s.rawValue) }
        what.append("tasks")
        if let n = m.taskNode { what.append("on \(n)") }
        let recording = m.playback != nil ? " in this recording" : ""
        // The leader counts every task; the panel holds only the newest few.
        let counts = m.snapshot.leader?.tasks
        let total = max(m.tasks.count, counts.map { $0.byState.values.reduce(0, +) + ($0.byState[.queued] == nil ? $0.queued : 0) } ?? 0)
        if total > 0 || !m.tasks.isEmpty {
            if let state = m.taskState, m.taskNode == nil, let n = counts?.byState[state], n > 0 {
                return "none of the \(m.tasks.count) newest tasks is \(state.rawValue) (\(n) \(state.rawValue) of \(total) in all)"
            }
            return "no \(what.joined(separator: " "))\(recording) (\(total) in all)"
        }
        if m.playback != nil { return "no tasks in this recording yet" }
        if !m.hasTasks { return m.readonly ? "this engine has no task queue" : "this engine has no task queue (l puts keys: a load)" }
        if m.readonly { return "no tasks yet" }
        return "no tasks yet (s submits one, l turns load on)"
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
        var title = m.eventFilter.isEmpty ? "Events" : "Events /\(m.eventFilter)"
        // With the arrows here, the title says so and how to leave.
        if m.focus == .events { title += c.ascii ? " - Enter opens, Tab back" : " · ↑↓ Enter opens · Tab back" }
        c.box(x: x, y: y, width: w, height: h, title: title)
        let all = m.visibleEvents
        let rows = max(0, h - 2)
        // The newest that fit, moved back so a selected older event stays in view.
        let selected = m.focus == .events && !all.isEmpty ? all.count - 1 - min(max(0, m.selectedEvent), all.count - 1) : nil
        var upper = all.count
        if let selected, selected < all.count - rows { upper = selected + 1 }
        let shown = all[max(0, upper - rows)..<upper]
        for (i, e) in shown.enumerated() {
            c.put(eventLine(e), x: x + 1, y: y + 1 + i, role: eventRole(e), maxWidth: w - 2)
            if shown.startIndex + i == selected { c.paint(x: x + 1, y: y + 1 + i, width: w - 2, role: .selection) }
        }
        if all.isEmpty, !m.eventFilter.isEmpty {
            c.put("no events contain \"\(m.eventFilter)\" (Esc clears the filter)", x: x + 1, y: y + 1, role: .dim, maxWidth: w - 2)
        }
    }

    /// An event as its panel row shows it: time, message, and who asked or why.
    static func eventLine(_ e: ControlEvent) -> String {
        var text = "\(clockTime(e.at)) \(e.message)"
        if e.reason == "operator" { text += " (you)" } else if let r = e.reason, e.kind == .recovery { text += " [\(r)]" }
        return text
    }

    static func keybar(_ c: inout Canvas, _ m: ConsoleModel, keys: KeyMap) {
        let y = c.height - 1
        let text: String
        switch m.overlay {
        case .prompt(let kind, let input)?:
            prompt(&c, m, kind: kind, input: input, y: y)
            return
        case .confirm(let question, _)?: text = "\(question) [y/N]"
        default:
            if let bar = m.playback {
                timebar(&c, bar, y: y)
                return
            }
            text = keys.barText(readonly: m.readonly, local: m.local, width: barWidth(c), tokenRefused: m.tokenRefused)
        }
        c.put(String(repeating: " ", count: c.width), x: 0, y: y, role: .keybar)
        c.put(text, x: 0, y: y, role: .keybar, bold: m.overlay != nil, maxWidth: barWidth(c))
    }

    /// The bottom line's room for text: all but its last cell, which terminals are not sent
    /// (writing the screen's last cell scrolls some of them), so nothing written there is lost.
    static func barWidth(_ c: Canvas) -> Int { c.width - 1 }

    /// The prompt's line with its cursor (a reversed cell; `_` after the last character),
    /// scrolled sideways so the cursor stays in view, then what Tab found.
    static func prompt(_ c: inout Canvas, _ m: ConsoleModel, kind: PromptKind, input: String, y: Int) {
        let chars = Array(input)
        let cursor = min(max(0, m.promptCursor ?? chars.count), chars.count)
        let line = kind.rawValue + input + (cursor == chars.count ? "_" : "")
        let cursorX = kind.rawValue.count + cursor
        // Past the right edge: the start gives way behind an ellipsis, keeping the cursor and a cell after it.
        let start = cursorX + 2 > barWidth(c) ? cursorX + 2 - barWidth(c) + 1 : 0
        var shown = String(line.dropFirst(start))
        if start > 0 { shown = String(c.ellipsis) + shown.dropFirst() }
        if !m.completions.isEmpty { shown += "    (\(m.completions.joined(separator: " ")))" }
        c.put(String(repeating: " ", count: c.width), x: 0, y: y, role: .keybar)
        c.put(shown, x: 0, y: y, role: .keybar, bold: true, maxWidth: barWidth(c))
        if cursor < chars.count { c.paint(x: cursorX - start, y: y, width: 1, role: .selection) }
    }

    /// The playback line: state, position, a bar with the position, actions so far, and the
    /// keys that work in playback (`? help` and `q quit` always). Paused is `‖`: the pause
    /// symbol U+23F8 is drawn two cells wide by terminals that treat it as an emoji, which
    /// pushed the line's last cell off the screen.
    static func timebar(_ c: inout Canvas, _ b: PlaybackBar, y: Int) {
        let state = b.playing ? (c.ascii ? ">" : "▶") : (c.ascii ? "||" : "‖")
        let speed = b.speed == 1 ? "" : String(format: " x%g", b.speed)
        let left = " \(state) \(clockSpan(b.position)) / \(clockSpan(b.duration))\(speed)  "
        let actions = "  action \(b.actions)/\(b.totalActions)"
        let entries = KeyMap.playbackBindings.map { (key: c.ascii ? $0.key.replacingOccurrences(of: "←/→", with: "left/right") : $0.key, label: $0.label) }
        // A notice (why a key did nothing) takes the keys' place but for `? help` and `q quit`, and ends in `…` where it must.
        var keys = " " + KeyMap.barText(entries, priority: ["?", "q", "space", "←/→", "left/right", "[ ]"],
                                        width: b.notice == nil ? max(0, barWidth(c) - left.count - actions.count - 12) : 0)
        if let notice = b.notice {
            let room = max(1, barWidth(c) - left.count - actions.count - keys.count - 12)
            keys = "  " + (notice.count <= room ? notice : String(notice.prefix(room - 1)) + String(c.ellipsis)) + keys
        }
        let right = actions + keys
        let room = max(10, barWidth(c) - left.count - right.count)
        let filled = b.duration > 0 ? Int((b.position / b.duration * Double(room - 1)).rounded()) : 0
        let bar = (0..<room).map { i -> String in
            i == filled ? (c.ascii ? "O" : "●") : i < filled ? (c.ascii ? "=" : "━") : (c.ascii ? "-" : "─")
        }.joined()
        c.put(String(repeating: " ", count: c.width), x: 0, y: y, role: .keybar)
        c.put(left + bar + right, x: 0, y: y, role: .keybar, maxWidth: barWidth(c))
    }

    /// 1:05.3 on the session's clock.
    static func clockSpan(_ t: Double) -> String {
        String(format: "%d:%04.1f", Int(t) / 60, t.truncatingRemainder(dividingBy: 60))
    }

    /// What a scrolling overlay shows: its title and its lines, before wrapping.
    static func overlayContent(_ overlay: Overlay, _ m: ConsoleModel, width: Int, keys: KeyMap) -> (title: String, lines: [String])? {
        switch overlay {
        case .help:
            return ("Help (Esc closes)", m.playback != nil ? KeyMap.playbackHelp : keys.help(readonly: m.readonly, local: m.local, tokenRefused: m.tokenRefused))
        case .history:
            let lines = m.history.map { [$0.summary] + $0.timeline(width: max(20, width - 6)) }
                ?? ["No history checked yet: turn the load on (l), then off again;", "its submits and reads are then checked."]
            return ("History check (Esc closes)", lines)
        case .event(let e):
            var lines = ["at        \(clockTime(e.at))", "kind      \(e.kind.rawValue)\(e.ok ? "" : ", failed")"]
            if let node = e.node { lines.append("node      \(node)") }
            if let category = e.category { lines.append("category  \(category)") }
            if let reason = e.reason { lines.append("reason    \(reason == "operator" ? "you (the operator)" : reason)") }
            if let a = e.action { lines.append("action    \(a.summary) (\(a.by))") }
            if let ms = e.durationMs { lines.append("took      \(ms) ms") }
            return ("Event (Esc returns)", lines + [""] + e.message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        case .node(let id):
            return (NodeDescription.title(id, m), NodeDescription.lines(id, m))
        case .faults:
            return (m.playback != nil ? FaultList.playbackTitle : FaultList.title, FaultList.lines(m, ascii: false))
        case .leaders:
            return ("Who led when, newest first (Esc closes)", LeadershipRecord(events: m.events).lines(now: m.now, clock: clockTime))
        case .prompt, .confirm:
            return nil
        }
    }

    /// Where an overlay stands on a screen and its lines wrapped to fit: nothing is cut, long
    /// lines go on under their text (after a key's or command's column).
    struct OverlayPage {
        var title: String
        var x: Int, y: Int, w: Int, h: Int
        var lines: [String]
        var rows: Int { max(0, h - 2) }
        var maxScroll: Int { max(0, lines.count - rows) }
    }

    static func overlayPage(_ m: ConsoleModel, width: Int, height: Int, keys: KeyMap) -> OverlayPage? {
        guard let overlay = m.overlay, let (title, raw) = overlayContent(overlay, m, width: width, keys: keys) else { return nil }
        // As wide as its widest line or its title, whichever is wider, up to the screen.
        let inner = max(10, min(width - 6, max(raw.map(\.count).max() ?? 20, title.count + 2)))
        let lines = raw.flatMap { wrap($0, width: inner) }
        let w = min(width - 2, inner + 4)
        let h = min(height - 2, lines.count + 2)
        return OverlayPage(title: title, x: (width - w) / 2, y: (height - h) / 2, w: w, h: h, lines: lines)
    }

    /// Keeps a scrolling overlay's position within its lines and tells the model its page size.
    public static func clampOverlay(_ m: inout ConsoleModel, width: Int, height: Int, keys: KeyMap = KeyMap()) {
        guard width >= minWidth, height >= minHeight, let page = overlayPage(m, width: width, height: height, keys: keys) else { return }
        m.overlayPage = page.rows
        // A following log shows its end; scrolling to the end follows again.
        if m.overlayFollows { m.overlayScroll = page.maxScroll }
        m.overlayScroll = min(max(0, m.overlayScroll), page.maxScroll)
        if case .node? = m.overlay, m.overlayScroll == page.maxScroll, page.maxScroll > 0 { m.overlayFollows = true }
        if m.overlay == .faults {
            // The selection stays on a fault and in view.
            let count = FaultLedger.entries(m.snapshot, events: m.events).count
            m.selectedFault = min(max(0, m.selectedFault), max(0, count - 1))
            if m.selectedFault < m.overlayScroll { m.overlayScroll = m.selectedFault }
            if m.selectedFault >= m.overlayScroll + page.rows { m.overlayScroll = m.selectedFault - page.rows + 1 }
        }
    }

    /// `line` in pieces of at most `width`, broken at blanks where it can; the pieces after the
    /// first start under the text after the line's first gap of two blanks (a key's or a
    /// command's description), or two in.
    static func wrap(_ line: String, width: Int) -> [String] {
        guard line.count > width else { return [line] }
        let chars = Array(line)
        var indent = 2
        if let gap = line.range(of: "  "), let text = line[gap.upperBound...].firstIndex(where: { $0 != " " }) {
            let column = line.distance(from: line.startIndex, to: text)
            if column <= width / 2 { indent = column }
        }
        var out: [String] = []
        var start = 0
        var first = true
        while start < chars.count {
            let room = first ? width : width - indent
            if chars.count - start <= room {
                out.append((first ? "" : String(repeating: " ", count: indent)) + String(chars[start...]))
                break
            }
            var cut = start + room
            if let blank = (start + 1..<cut).last(where: { chars[$0] == " " }), blank > start + room / 2 { cut = blank }
            out.append((first ? "" : String(repeating: " ", count: indent)) + String(chars[start..<cut]))
            start = cut
            while start < chars.count, chars[start] == " " { start += 1 }
            first = false
        }
        return out
    }

    static func draw(_ overlay: Overlay, _ c: inout Canvas, _ m: ConsoleModel, keys: KeyMap) {
        guard let page = overlayPage(m, width: c.width, height: c.height, keys: keys) else { return }
        let scroll = min(max(0, m.overlayScroll), page.maxScroll)
        for j in page.y..<(page.y + page.h) { c.put(String(repeating: " ", count: page.w), x: page.x, y: j, role: .text) }
        c.box(x: page.x, y: page.y, width: page.w, height: page.h, title: page.title)
        for (row, line) in page.lines.dropFirst(scroll).prefix(page.rows).enumerated() {
            c.put(line, x: page.x + 2, y: page.y + 1 + row, role: line.hasSuffix(":") ? .title : .text, maxWidth: page.w - 3)
        }
        // Where the page stands, on the bottom edge, when the lines do not all fit.
        if page.lines.count > page.rows {
            let arrows = c.ascii ? "j/k" : "↑↓"
            let position = " \(scroll + 1)-\(scroll + page.rows) of \(page.lines.count) \(c.ascii ? "|" : "·") \(arrows) PgUp/PgDn g/G "
            let fitted = c.fit(position, width: page.w - 4)
            c.put(fitted, x: page.x + page.w - 2 - fitted.unicodeScalars.count, y: page.y + page.h - 1, role: .dim)
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
