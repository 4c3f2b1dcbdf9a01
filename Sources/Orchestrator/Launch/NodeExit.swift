import FlotillaAPI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a local node's process ended, read from the end of its log: the node's own last line
/// (`flotilla node n1: died: …` after a trap, a fatal storage error or a broken invariant), or
/// the launcher's note that an operator stopped it. Only what follows the launcher's latest
/// `starting` note counts, so an old kill never explains a new death.
public struct NodeExit: Sendable, Codable, Equatable {
    /// The reason in words, e.g. `storage failed: fsync …` or `killed by the operator (SIGKILL)`.
    public var reason: String
    /// True when an operator (or a script through the launcher) stopped the node.
    public var byOperator: Bool

    public init(reason: String, byOperator: Bool) {
        self.reason = reason
        self.byOperator = byOperator
    }

    /// The exit the end of a node's log tells (nil: the log is empty or unreadable).
    public static func read(logFile: String, node: String) -> NodeExit? {
        guard let tail = LogTail.read(logFile, bytes: 64 << 10) else { return nil }
        return parse(tail, node: node)
    }

    /// The exit `tail` (the end of a node's log) tells.
    public static func parse(_ tail: String, node: String) -> NodeExit? {
        var lines = tail.split(separator: "\n", omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
        lines.removeAll(where: \.isEmpty)
        let note = NodeLogLines.launcherPrefix
        if let start = lines.lastIndex(of: note + NodeLogLines.starting(node)) { lines.removeFirst(start + 1) }
        guard let last = lines.last else { return nil }
        if let said = lines.last(where: { $0.hasPrefix(note) }) {
            return NodeExit(reason: String(said.dropFirst(note.count)), byOperator: true)
        }
        // The node's own line ends the log, or (when a backtrace never finished) stands before it.
        let own = NodeLogLines.nodePrefix(node), died = NodeLogLines.diedPrefix(node)
        if let said = last.hasPrefix(own) ? last : lines.last(where: { $0.hasPrefix(died) }) {
            return NodeExit(reason: String(said.dropFirst(said.hasPrefix(died) ? died.count : own.count)), byOperator: false)
        }
        if last.hasSuffix(NodeLogLines.shutDown) { return NodeExit(reason: "shut down on request (SIGTERM)", byOperator: true) }
        return NodeExit(reason: "ended without saying why (killed from outside?); its log ends: \(last.suffix(160))", byOperator: false)
    }
}

/// The end of a file, read without loading the whole file.
enum LogTail {
    static func read(_ path: String, bytes: Int) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        let size = Int(st.st_size)
        let from = max(0, size - bytes)
        var buffer = [UInt8](repeating: 0, count: size - from)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(from)) }
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(n), as: UTF8.self)
    }
}

/// Reads nodes' exits again only when their logs changed: a watcher asks every round.
struct NodeExitCache: Sendable {
    private var seen: [String: (size: Int, modifiedNs: Int, exit: NodeExit?)] = [:]

    mutating func exit(of node: ClusterSpec.NodeSpec) -> NodeExit? {
        var st = stat()
        guard stat(node.logFile, &st) == 0 else { return nil }
        let size = Int(st.st_size), modified = Int(st.st_mtim.tv_sec) * 1_000_000_000 + Int(st.st_mtim.tv_nsec)
        if let s = seen[node.id], s.size == size, s.modifiedNs == modified { return s.exit }
        let exit = NodeExit.read(logFile: node.logFile, node: node.id)
        seen[node.id] = (size, modified, exit)
        return exit
    }
}
