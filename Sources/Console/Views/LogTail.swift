import Foundation

/// The last lines of a log file, read from its end, so a node's log of any size costs one small
/// read a frame (the describe view follows it live).
public enum LogTail {
    public static let defaultLines = 200
    /// How much of the file's end is read: enough for `defaultLines` lines of a node's log.
    static let window = 64 << 10

    /// Up to `max` whole lines from the end of `path`, oldest first; a line saying why when it cannot be read.
    public static func lines(of path: String, max: Int) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return ["(no log at \(path))"] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(window) ? size - UInt64(window) : 0
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if start > 0, !lines.isEmpty { lines.removeFirst() }  // a line cut by the window's start
        if lines.last == "" { lines.removeLast() }
        return Array(lines.suffix(max))
    }
}
