import ArgumentParser
import FlotillaAPI
import Foundation
import Orchestrator

/// Shell completion of node ids: the completion scripts call back into `flotilla` for a node
/// argument. With `--connect` on the command line the ids are the members a running node reports
/// (`GET /v1/status`, one second at most per address, the first three tried); otherwise they come
/// from the cluster directory the line names (`--dir`, else `./flotilla-cluster`), read from its
/// `cluster.json` without asking any node. Anything that cannot be read completes nothing, silently.
enum NodeCompletion {
    /// Node ids only (kill, restart, pause, resume, replace, remove, transfer).
    static let ids = CompletionKind.custom { words, _, prefix in await complete(words: words, prefix: prefix, shapes: []) }
    /// Node ids and `leader`, the node that leads now (isolate).
    static let idsOrLeader = CompletionKind.custom { words, _, prefix in await complete(words: words, prefix: prefix, shapes: ["leader"]) }
    /// Node ids, `leader` and `all` (disk, skew).
    static let idsLeaderOrAll = CompletionKind.custom { words, _, prefix in await complete(words: words, prefix: prefix, shapes: ["leader", "all"]) }

    /// The ids of the cluster `words` name, and `shapes`, that start with `prefix`.
    static func complete(words: [String], prefix: String, shapes: [String]) async -> [String] {
        let ids: [String]
        if let addresses = value(of: "--connect", in: words) {
            ids = await liveIDs(addresses.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        } else {
            ids = self.ids(in: directory(in: words))
        }
        return (shapes + ids).filter { $0.hasPrefix(prefix) }
    }

    /// `--flag VALUE` or `--flag=VALUE` on the command line being completed.
    static func value(of flag: String, in words: [String]) -> String? {
        for (i, w) in words.enumerated() {
            if w == flag, i + 1 < words.count { return words[i + 1] }
            if w.hasPrefix(flag + "=") { return String(w.dropFirst(flag.count + 1)) }
        }
        return nil
    }

    /// The members the first of `addresses` to answer reports (itself alone before it has any).
    static func liveIDs(_ addresses: [String]) async -> [String] {
        let admin = AdminClient(token: ProcessInfo.processInfo.environment["FLOTILLA_TOKEN"])
        var ids: [String] = []
        for a in addresses.prefix(3) where !a.isEmpty {
            guard let s = try? await admin.status(a, timeout: .seconds(1)) else { continue }
            ids = s.members.isEmpty ? [s.id] : s.members.map(\.id)
            break
        }
        await admin.shutdown()
        return ids
    }

    /// `--dir DIR` or `--dir=DIR` on the command line being completed, else the default directory.
    static func directory(in words: [String]) -> String {
        value(of: "--dir", in: words).map(expandingTilde) ?? "./flotilla-cluster"
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
