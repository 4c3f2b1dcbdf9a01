/// Maps times in a window onto the columns of a timeline.
struct TimeScale {
    let start: Int64
    let end: Int64
    let columns: Int

    /// The column of time `t`: the window's start at 0, its end at the last column; a window of
    /// zero length puts everything at 0.
    func column(_ t: Int64) -> Int {
        guard end > start, columns > 1 else { return 0 }
        let fraction = (Double(t) - Double(start)) / (Double(end) - Double(start))
        return min(columns - 1, max(0, Int(fraction * Double(columns - 1) + 0.5)))
    }

    /// A span of nanoseconds in a unit that fits: "850ns", "12.5µs", "3.0ms", "1.2s".
    static func duration(_ nanoseconds: Int64) -> String {
        for (size, unit) in [(Int64(1_000_000_000), "s"), (1_000_000, "ms"), (1_000, "µs")] where nanoseconds >= size {
            let tenths = nanoseconds / (size / 10)
            return "\(tenths / 10).\(tenths % 10)\(unit)"
        }
        return "\(nanoseconds)ns"
    }
}
