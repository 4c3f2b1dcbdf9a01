import Foundation
import Testing

/// The layering the design rests on, read from the sources' own imports: the pure cores touch
/// no file, socket, clock or thread; the control plane never links the node runtime; data
/// flows one way, core -> runtime -> control plane -> faces.
@Suite("Layering")
struct LayeringTests {
    /// What each target may import (beyond the Swift standard library).
    static let allowed: [String: Set<String>] = [
        "BinaryCoding": [],
        "RaftCore": ["BinaryCoding"],
        "TaskQueue": ["BinaryCoding"],
        "ClusterRules": [],
        "HistoryCheck": [],
        "NodeCore": ["RaftCore", "TaskQueue", "BinaryCoding"],
        "FlotillaAPI": [],
        "NodeStorage": ["RaftCore", "NodeCore", "BinaryCoding", "Logging", "Glibc", "Synchronization"],
        "Simulation": ["RaftCore", "TaskQueue", "NodeCore", "NodeStorage", "ClusterRules", "BinaryCoding", "Logging"],
        "Orchestrator": ["FlotillaAPI", "ClusterRules", "HistoryCheck", "BinaryCoding", "CSpawn", "CNetfilterQueue", "ArgumentParser", "AsyncHTTPClient", "NIOCore",
                         "NIOHTTP1", "Logging", "Foundation", "Glibc", "Synchronization", "ChildProcesses"],
        "ChildProcesses": ["Subprocess", "SystemPackage", "Foundation", "Glibc", "Synchronization"],
        "Console": ["Orchestrator", "FlotillaAPI", "CNcurses", "Foundation", "Glibc", "Synchronization"],
    ]

    static var sources: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    /// Every module `target`'s sources import, with the file that does.
    static func imports(of target: String) throws -> [(module: String, file: String)] {
        let root = sources.appendingPathComponent(target)
        guard let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var found: [(String, String)] = []
        for case let url as URL in files where url.pathExtension == "swift" {
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                var words = line.split(separator: " ").map(String.init)
                while let first = words.first, first.hasPrefix("@") || ["public", "internal", "package", "private"].contains(first) {
                    words.removeFirst()
                }
                guard words.count >= 2, words[0] == "import" else { continue }
                let module = words.count >= 3 && ["struct", "enum", "class", "func", "protocol", "typealias", "var", "let"].contains(words[1])
                    ? words[2] : words[1]
                found.append((String(module.split(separator: ".")[0]), url.lastPathComponent))
            }
        }
        return found
    }

    @Test(arguments: allowed.keys.sorted())
    func aTargetImportsOnlyWhatItsLayerAllows(_ target: String) throws {
        let found = try Self.imports(of: target)
        #expect(!found.isEmpty || Self.allowed[target]!.isEmpty || target == "FlotillaAPI", "\(target)'s sources were read")
        for (module, file) in found where !Self.allowed[target]!.contains(module) {
            Issue.record("\(target)/\(file) imports \(module), which its layer does not allow")
        }
    }

    @Test func thePureCoresImportNothingThatTouchesTheOutsideWorld() throws {
        let outside: Set<String> = ["Foundation", "Glibc", "Darwin", "Dispatch", "NIOCore", "NIOPosix", "Logging", "Synchronization"]
        for target in ["BinaryCoding", "RaftCore", "TaskQueue", "ClusterRules", "HistoryCheck", "NodeCore"] {
            for (module, file) in try Self.imports(of: target) where outside.contains(module) {
                Issue.record("\(target)/\(file) imports \(module): the pure core must stay free of I/O, clocks and threads")
            }
        }
        // And the reader does find imports where there are some.
        #expect(try Self.imports(of: "NodeCore").contains { $0.module == "RaftCore" })
    }
}
