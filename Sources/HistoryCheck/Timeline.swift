/// A window of operations drawn as text for a terminal.
///
/// Two axis lines (the window's length, and a ruler), then a lane per client, `c3`, with each
/// operation a bar from its call to its return, `├─add k17─┤`, its label inside the bar or just
/// after it when there is room, and none when there is not. An operation that never returned
/// runs to the right edge and ends in `…`. The operation that could not be linearized is drawn
/// in heavy lines, `┣━━┫`, with a `✕` just after its return (on it, at the right edge). A last
/// lane, `marks`, puts a `▲` and a label at each mark's time (faults, leader changes). A lane
/// takes more rows where its drawings would overlap. Every character is one column wide, and no
/// line is wider than `width`.
public enum Timeline {
    /// `operations` drawn in `width` columns. With a `key`, reads say whether they saw it
    /// (`read +k17`) or missed it (`read -k17`); `highlighting` is the position in `operations`
    /// of the one to draw as failing.
    public static func render(
        _ operations: [HistoryOperation], key: String? = nil, highlighting failing: Int? = nil,
        marks: [(time: Int64, label: String)] = [], width: Int
    ) -> [String] {
        let clients = Array(Set(operations.map(\.client))).sorted()
        let labels = clients.map { "c\($0)" } + (marks.isEmpty ? [] : ["marks"])
        let labelWidth = labels.map(\.count).max() ?? 0
        let columns = max(1, width - labelWidth - 1)
        let times = operations.flatMap { [$0.call] + ($0.ret.map { [$0] } ?? []) } + marks.map(\.time)
        let scale = TimeScale(start: times.min() ?? 0, end: times.max() ?? 0, columns: columns)

        var lanes = Dictionary(uniqueKeysWithValues: clients.map { ($0, TimelineLane(label: "c\($0)", columns: columns)) })
        let order = operations.indices.sorted { (operations[$0].call, $0) < (operations[$1].call, $1) }
        for i in order {
            let start = scale.column(operations[i].call)
            let cells = bar(operations[i], key: key, from: start, scale: scale, failing: i == failing)
            lanes[operations[i].client]!.place(cells, at: start)
        }
        var markLane = TimelineLane(label: "marks", columns: columns)
        for mark in marks.sorted(by: { $0.time < $1.time }) {
            markLane.place(Array("▲ " + mark.label), at: scale.column(mark.time))
        }

        let allLanes = clients.map { lanes[$0]! } + (marks.isEmpty ? [] : [markLane])
        let lines = [("", axisLabels(scale)), ("", ruler(columns))]
            + allLanes.flatMap { lane in lane.rows.map { (lane.label, $0) } }
        return lines.map { label, cells in
            let padded = label + String(repeating: " ", count: labelWidth - label.count) + " " + String(cells)
            var line = String(padded.prefix(max(0, width)))
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// The failing window drawn with its key's reads as seen or missed, and its failing operation marked.
    public static func render(_ window: FailingWindow, marks: [(time: Int64, label: String)] = [], width: Int) -> [String] {
        render(window.operations, key: window.partition, highlighting: window.failing, marks: marks, width: width)
    }

    /// One operation's bar from column `start`, with its label in or after it when it fits.
    private static func bar(_ op: HistoryOperation, key: String?, from start: Int, scale: TimeScale, failing: Bool) -> [Character] {
        let end = max(start, op.ret.map(scale.column) ?? scale.columns - 1)
        let (open, line, close): (Character, Character, Character) = failing ? ("┣", "━", "┫") : ("├", "─", "┤")
        let last: Character = op.ret == nil ? "…" : close
        let length = end - start + 1
        var cells: [Character] = length == 1 ? [op.ret == nil ? "…" : failing ? "┃" : "│"]
            : [open] + Array(repeating: line, count: length - 2) + [last]
        if failing {
            if end + 1 < scale.columns { cells.append("✕") } else { cells[cells.count - 1] = "✕" }
        }
        let label = Array(caption(op, key: key))
        if label.count <= length - 2 {
            let offset = 1 + (length - 2 - label.count) / 2
            cells.replaceSubrange(offset..<offset + label.count, with: label)
        } else if start + cells.count + 1 + label.count <= scale.columns {
            cells += [" "] + label
        }
        return cells
    }

    /// What an operation did, in a few words: `add k17`, `read -k17` (missed the key in focus),
    /// `read {a,b}`, `read {12 keys}`, `put v7`, `get v3` or `get none` (a window is one key's);
    /// ` fail` or ` ?` when it failed or its outcome is unknown.
    private static func caption(_ op: HistoryOperation, key: String?) -> String {
        let what = switch (op.kind, key) {
        case (.add(let added), _): "add \(added)"
        case (.read(let keys), let focus?): "read \(keys.contains(focus) ? "+" : "-")\(focus)"
        case (.read(let keys), nil) where keys.count <= 2: "read {\(keys.sorted().joined(separator: ","))}"
        case (.read(let keys), nil): "read {\(keys.count) keys}"
        case (.put(_, let value), _): "put \(value)"
        case (.get(_, let value), _): "get \(value ?? "none")"
        }
        return what + (op.outcome == .fail ? " fail" : op.outcome == .unknown ? " ?" : "")
    }

    /// The first axis line: 0 at the left, the window's length at the right.
    private static func axisLabels(_ scale: TimeScale) -> [Character] {
        let right = Array("+" + TimeScale.duration(scale.end - scale.start))
        var cells = Array(repeating: Character(" "), count: scale.columns)
        cells[0] = "0"
        if right.count + 2 <= scale.columns {
            cells.replaceSubrange(scale.columns - right.count..<scale.columns, with: right)
        }
        return cells
    }

    /// The second axis line: a ruler with a tick every ten columns.
    private static func ruler(_ columns: Int) -> [Character] {
        guard columns > 1 else { return ["│"] }
        return (0..<columns).map { c in c == 0 ? "├" : c == columns - 1 ? "┤" : c % 10 == 0 ? "┼" : "─" }
    }
}
