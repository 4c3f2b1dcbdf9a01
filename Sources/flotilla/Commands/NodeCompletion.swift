import ArgumentParser
import Foundation
import Orchestrator

/// Shell completion of node ids: the completion scripts call back into `flotilla` for a node
/// argument, and the ids come from the cluster directory the command line names (`--dir`, else
/// `./flotilla-cluster`), read from its `cluster.json` without asking any node, so completing
/// is instant and never hangs on a dead cluster. Anything that cannot be read completes nothing.
enum NodeCompletion {
    /// Node ids only (kill, restart, pause, resume, replace, remove, transfer).
    static let ids = CompletionKind.custom { words, _, prefix in complete(words: words, prefix: prefix, shapes: []) }
    /// Node ids and `leader`, the node that leads now (isolate).
    static let idsOrLeader = CompletionKind.custom { words, _, prefix in complete(words: words, prefix: prefix, shapes: ["leader"]) }
    /// Node ids, `leader` and `all` (disk, skew).
    static let idsLeaderOrAll = CompletionKind.custom { words, _, prefix in complete(words: words, prefix: prefix, shapes: ["leader", "all"]) }

    /// The ids of the cluster in the directory `words` name, and `shapes`, that start with `prefix`.
    static func complete(words: [String], prefix: String, shapes: [String]) -> [String] {
        (shapes + ids(in: directory(in: words))).filter { $0.hasPrefix(prefix) }
    }

    /// `--dir DIR` or `--dir=DIR` on the command line being completed, else the default directory.
    static func directory(in words: [String]) -> String {
        for (i, w) in words.enumerated() {
            if w == "--dir", i + 1 < words.count { return expandingTilde(words[i + 1]) }
            if w.hasPrefix("--dir=") { return expandingTilde(String(w.dropFirst("--dir=".count))) }
        }
        return "./flotilla-cluster"
    }

    /// The node ids `directory`'s cluster spec lists, in its order; none when it cannot be read.
    static func ids(in directory: String) -> [String] {
        guard let spec = try? Launcher(directory: directory).load() else { return [] }
        return spec.nodes.map(\.id)
    }

    /// A shell leaves `~` in a word it completes: it is the home directory.
    static func expandingTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return NSHomeDirectory() + path.dropFirst()
    }
}
