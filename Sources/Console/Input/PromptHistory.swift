import Foundation

/// The lines entered at the console's prompts, kept across runs as a shell keeps its history:
/// in `$XDG_STATE_HOME/flotilla/history` (`~/.local/state/flotilla/history` when unset), owner
/// only (0600), the newest `limit` lines. Each line starts with its prompt's tag (`:` a command,
/// `/` a filter, `s` a submit) so Up and Down walk one prompt's lines only.
public struct PromptHistory: Sendable {
    public static let limit = 500

    /// Where the history lives; nil keeps it in memory only.
    public let path: String?
    /// Oldest first, each with its tag.
    public private(set) var entries: [String] = []

    /// Reads the history at `path`; a missing or unreadable file is an empty history.
    public init(path: String?) {
        self.path = path
        if let path, let text = try? String(contentsOfFile: path, encoding: .utf8) {
            entries = Array(text.split(separator: "\n").map(String.init).suffix(Self.limit))
        }
    }

    /// The history file for an environment: under `XDG_STATE_HOME` when it is an absolute
    /// path (the XDG rule), else under `HOME`'s `.local/state`; nil without either.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/flotilla/history" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/state/flotilla/history"
    }

    /// The tag a prompt's lines carry.
    static func tag(_ kind: PromptKind) -> String {
        switch kind {
        case .command: ":"
        case .filter: "/"
        case .submit: "s"
        }
    }

    /// The lines entered at `kind`'s prompt, oldest first.
    public func lines(_ kind: PromptKind) -> [String] {
        let tag = Self.tag(kind)
        return entries.filter { $0.hasPrefix(tag) }.map { String($0.dropFirst(tag.count)) }
    }

    /// Adds a line (not a blank one, nor the same as the last of its prompt) and writes the
    /// file. A history that cannot be written stays in memory: losing it never stops the console.
    public mutating func add(_ line: String, kind: PromptKind) {
        let text = line.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, !text.contains("\n"), lines(kind).last != text else { return }
        entries = Array((entries + [Self.tag(kind) + text]).suffix(Self.limit))
        try? save()
    }

    func save() throws {
        guard let path else { return }
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let data = Data(entries.map { $0 + "\n" }.joined().utf8)
        // Written beside and renamed over, so a crash leaves the old history or the new one.
        let temp = path + ".tmp"
        guard FileManager.default.createFile(atPath: temp, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        guard rename(temp, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
