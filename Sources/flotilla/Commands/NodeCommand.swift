import ArgumentParser
import FlotillaNode
import NodeCore
import Foundation
import Logging

/// `flotilla node`: runs one cluster node in the foreground.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Run one Flotilla node (Raft, write-ahead log, task queue, admin API).",
        discussion: """
            Bootstrap a new cluster by giving every founder the same --peers list:
              flotilla node --id n1 --raft 127.0.0.1:7101 --admin 127.0.0.1:8101 --data d1 \\
                --peers n1=127.0.0.1:7101/127.0.0.1:8101,n2=127.0.0.1:7102/127.0.0.1:8102,n3=…
            or join a running cluster as a learner with --join ADMIN_ADDRESS.
            Without either, the node waits uninitialized until `POST /v1/bootstrap` (which
            `flotilla up --recover auto` sends) names the founders.
            A node restarted on the same --data recovers its state from disk.
            """
    )

    @Option(help: "This node's id, e.g. n1.") var id: String
    @Option(help: "Address for peer (Raft) traffic, HOST:PORT.") var raft: String
    @Option(help: "Address of the HTTP admin API, HOST:PORT.") var admin: String
    @Option(help: "Data directory (write-ahead log and snapshots).") var data: String
    @Option(help: "Founding members: id=RAFT/ADMIN,… (this node included).") var peers: String?
    @Option(help: "Admin address of a running member to join through.") var join: String?
    @Option(help: "Cluster id; peers with another id are refused.") var cluster = "flotilla"
    @Option(help: "File holding the cluster token required for mutations.") var tokenFile: String?
    @Option(help: "Tasks this node runs at once (0: none).") var slots = 4
    @Option(help: "Heartbeat interval in ms.") var heartbeatMs = 50
    @Option(help: "Base election timeout in ms (each election waits a random time in [T, 2T)).") var electionMs = 300
    @Option(help: "Applied entries between automatic snapshots (at least: once the task table holds more than 4x as many tasks, a quarter of its size).") var snapshotEvery = 10_000
    @Option(help: "How long a write waits for its entry to apply before answering that its outcome is unknown, in ms.")
    var proposalTimeoutMs = 5_000
    @Option(help: "Admin connections served at once; more wait in the listen backlog.") var maxAdminConnections = 512
    @Option(help: "Close an admin connection that sends no complete request head within this many ms of opening.")
    var headerTimeoutMs = 5_000
    @Option(help: "Close an admin connection idle this many ms between requests.") var idleTimeoutMs = 60_000
    @Option(help: "Close an admin connection whose client has not read its answer for this many ms.") var writeStallMs = 10_000
    @Option(help: "Events an event stream may fall behind before it is ended with a final `dropped` event.") var eventLag = 500
    @Option(help: "How long a finished task stays in the table, e.g. 10m or 1h.") var retain = "1h"
    @Option(help: "At most this many finished tasks stay in the table; the earliest finished go first.")
    var retainCount = Retention.defaultKeepFinished
    @Option(help: "How long after its submit an idempotency key is remembered, also once its task was removed.")
    var keyWindow = "2m"
    @Option(help: "Refuse new submits (429 queue-full) while this many tasks are queued, assigned or running; 0: no limit.")
    var maxUnfinished = NodeCoreConfig.defaultMaxUnfinishedTasks
    @Option(parsing: .unconditional, help: "Nice value of the Raft loop's threads, e.g. -5 on a host with busy neighbours (below 0 needs root or CAP_SYS_NICE).")
    var raftNice: Int32?
    @Option(help: "Run the Raft loop's threads under SCHED_FIFO at this priority (1-99): no ordinary thread, the node's own or a neighbour's, takes their core (needs root or CAP_SYS_NICE).")
    var raftRealtime: Int32?
    @Flag(help: "Allow `shell` tasks on this node.") var allowShell = false
    @Flag(help: "Hold joining nodes as pending until an operator approves them (`flotilla approve`).") var approveJoins = false
    @Flag(help: "Allow listening on a non-loopback address without a token.") var insecure = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
    /// Tests prove a trap leaves its reason in the log by planting one.
    @Option(help: .hidden) var plantedTrapAfterMs: Int?
    /// Tests make WAL segment switches frequent with small segments.
    @Option(help: .hidden) var walSegmentBytes: Int?
    /// Tests prove the history checker catches a stale read by planting `stale-reads`.
    @Option(help: .hidden) var plantedBug: String?

    func run() async throws {
        var config = NodeConfig(id: id, raftPort: 0, adminPort: 0, dataDir: data)
        (config.raftHost, config.raftPort) = try hostPort(raft, "--raft")
        (config.adminHost, config.adminPort) = try hostPort(admin, "--admin")
        config.clusterID = cluster
        config.slots = slots
        config.heartbeatMs = heartbeatMs
        config.electionMs = electionMs
        config.snapshotEvery = snapshotEvery
        config.proposalTimeoutMs = proposalTimeoutMs
        config.retention.finishedMs = try parseMilliseconds(retain, "--retain")
        config.retention.keepFinished = retainCount
        config.maxUnfinishedTasks = maxUnfinished
        if raftNice != nil, raftRealtime != nil { throw ValidationError("use either --raft-nice or --raft-realtime, not both") }
        config.raftPriority = raftRealtime.map(LoopPriority.realtime) ?? raftNice.map(LoopPriority.nice)
        config.retention.keyWindowMs = try parseMilliseconds(keyWindow, "--key-window")
        config.allowShell = allowShell
        config.adminLimits.maxConnections = maxAdminConnections
        config.adminLimits.headerTimeoutMs = headerTimeoutMs
        config.adminLimits.idleTimeoutMs = idleTimeoutMs
        config.adminLimits.writeStallMs = writeStallMs
        config.adminLimits.eventLag = eventLag
        config.approveJoins = approveJoins
        config.insecure = insecure
        config.join = join
        config.walSegmentBytes = walSegmentBytes
        if let plantedBug {
            guard let bug = PlantedBug(rawValue: plantedBug) else {
                throw ValidationError("--planted-bug is one of \(PlantedBug.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.plantedBug = bug
        }
        if let peers {
            config.bootstrapPeers = try peers.split(separator: ",").map { part in
                guard let spec = PeerSpec.parse(String(part)) else {
                    throw ValidationError("--peers entry \"\(part)\" is not id=RAFT/ADMIN")
                }
                return spec
            }
        }
        if let tokenFile {
            do {
                config.token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw ValidationError("cannot read the token file \(tokenFile): \(error.localizedDescription)")
            }
            if config.token?.isEmpty == true { throw ValidationError("the token file \(tokenFile) is empty") }
        }
        if let problem = config.problem { throw ValidationError(problem) }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "flotilla.\(id)")
        logger.logLevel = level
        LastWords.install(node: id)
        if let plantedTrapAfterMs {
            Task.detached {
                try await Task.sleep(for: .milliseconds(plantedTrapAfterMs))
                fatalError("planted trap after \(plantedTrapAfterMs) ms (--planted-trap-after-ms)")
            }
        }
        do {
            try await FlotillaNodeService.run(config, logger: logger)
        } catch let e as NodeStartupError {
            FileHandle.standardError.write(Data("flotilla node \(id): \(e.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// Splits HOST:PORT, with a clear error.
func hostPort(_ text: String, _ flag: String) throws -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
        throw ValidationError("\(flag) must be HOST:PORT (got \"\(text)\")")
    }
    let host = String(text[..<colon])
    return (host.isEmpty ? "127.0.0.1" : host, port)
}
