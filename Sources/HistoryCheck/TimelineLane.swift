/// One lane of a timeline (a client's, or the marks'): rows of cells, each drawing placed on
/// the first row where it overlaps nothing drawn before.
struct TimelineLane {
    let label: String
    let columns: Int
    private(set) var rows: [[Character]] = []
    /// Per row, the last column drawn on.
    private var lastUsed: [Int] = []

    init(label: String, columns: Int) {
        self.label = label
        self.columns = columns
    }

    /// Draws `cells` from column `start`, cut off at the lane's right edge.
    mutating func place(_ cells: [Character], at start: Int) {
        let row = lastUsed.firstIndex { $0 < start } ?? rows.count
        if row == rows.count {
            rows.append(Array(repeating: " ", count: columns))
            lastUsed.append(-1)
        }
        for (offset, cell) in cells.enumerated() where start + offset < columns {
            rows[row][start + offset] = cell
            lastUsed[row] = start + offset
        }
    }
}
