import Foundation
import Orchestrator
import Testing
import TestSupport

/// The shell completion scripts complete node ids from the cluster the command line names: the
/// directory's `cluster.json`, or with `--connect` the members a running node reports.
@Suite("Shell completion of node ids")
struct CompletionTests {
    /// A cluster directory holding only its `cluster.json`, with nodes `a1`, `a2` and `b7`: no node runs.
    func clusterDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-completion-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let nodes = ["a1", "a2", "b7"].enumerated().map { i, id in
            #"{"id":"\#(id)","raftAddress":"127.0.0.1:\#(7100 + i)","adminAddress":"127.0.0.1:\#(7200 + i)","dataDir":"\#(dir)/\#(id)","logFile":"\#(dir)/\#(id).log","pidFile":"\#(dir)/\#(id).pid"}"#
        }
        let spec = #"{"clusterID":"c-test","tokenFile":"\#(dir)/token","nodes":[\#(nodes.joined(separator: ","))],"nodeArgs":[],"createdAt":"now"}"#
        try spec.write(toFile: dir + "/cluster.json", atomically: true, encoding: .utf8)
        return dir
    }

    /// Runs the generated bash completion as bash does on Tab after `words` (the last one the word
    /// being completed), and returns what it offers.
    func complete(_ words: [String]) async throws -> [String] {
        let script = try await flotilla(["--generate-completion-script", "bash"])
        #expect(script.code == 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-completion-\(UUID().uuidString.prefix(8)).bash").path
        try script.out.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let quoted = ([LocalCluster.executable] + words).map { "'\($0)'" }.joined(separator: " ")
        let driver = """
            source '\(file)'
            COMP_WORDS=(\(quoted))
            COMP_CWORD=\(words.count)
            COMP_LINE="${COMP_WORDS[*]}"
            COMP_POINT=${#COMP_LINE}
            _flotilla
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let out = try await offThePool { () throws -> String in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", driver]
            let pipe = Pipe()
            p.standardOutput = pipe
            p.standardError = FileHandle.nullDevice
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        return out.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    @Test func nodeArgumentsCompleteTheClusterDirectorysNodeIds() async throws {
        let dir = try clusterDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try await complete(["kill", "--dir", dir, "a"]).sorted() == ["a1", "a2"])
        #expect(try await complete(["restart", "--dir", dir, ""]).sorted() == ["a1", "a2", "b7"])
        #expect(try await complete(["isolate", "--dir", dir, "l"]) == ["leader"])
        #expect(try await complete(["skew", "--dir", dir, ""]).sorted() == ["a1", "a2", "all", "b7", "leader"])
        // A directory that holds no cluster completes nothing, and says nothing.
        #expect(try await complete(["kill", "--dir", dir + "/none", ""]).isEmpty)
    }

    @Test func withConnectTheLiveMembersCompleteAndADeadAddressNothingWithinItsBound() async throws {
        try await withCluster(nodes: 3) { c in
            _ = try await c.waitForLeader()
            let address = c.members[1].admin
            #expect(try await complete(["pause", "--connect", address, ""]).sorted() == ["n1", "n2", "n3"])
            #expect(try await complete(["disk", "--connect=\(address)", "n"]).sorted() == ["n1", "n2", "n3"])
        }
        // Nothing listens on the discard port: nothing is offered, in a bounded time.
        let started = ContinuousClock.now
        #expect(try await complete(["kill", "--connect", "127.0.0.1:9", ""]).isEmpty)
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
