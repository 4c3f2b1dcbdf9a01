import NodeCore

/// How one node runs: identity, addresses, timing, and what it may execute.
public struct NodeConfig: Sendable {
    public var id: String
    public var clusterID: String = "flotilla"
    public var raftHost: String = "127.0.0.1"
    public var raftPort: Int
    public var adminHost: String = "127.0.0.1"
    public var adminPort: Int
    public var dataDir: String
    /// Founding members (id -> raft and admin addresses) of a new cluster, this node included.
    public var bootstrapPeers: [PeerSpec] = []
    /// The admin address of a running member to ask for admission as a learner.
    public var join: String?
    public var token: String?
    /// Listen off loopback without a token (`--insecure`): anyone who reaches the address could
    /// then kill tasks, change the membership and set faults.
    public var insecure = false
    /// Tasks this node runs at once; 0 runs none.
    public var slots: Int = 4
    public var tickMs: Int = 10
    public var heartbeatMs: Int = 50
    public var electionMs: Int = 300
    public var allowShell = false
    /// Hold joining nodes as pending until an operator approves them.
    public var approveJoins = false
    /// Applied entries between automatic snapshots.
    public var snapshotEvery: Int = 10_000
    /// Keep this many entries after a snapshot, so peers a little behind catch up from the log.
    public var snapshotTrailing: Int = 1_000
    /// How long finished tasks and removed tasks' keys are kept, and how many finished tasks.
    public var retention = Retention()
    /// New submits are refused (429 `queue-full`) while this many tasks are unfinished; 0: no limit.
    public var maxUnfinishedTasks = NodeCoreConfig.defaultMaxUnfinishedTasks
    /// How the Raft loop's threads are scheduled (`--raft-nice`, `--raft-realtime`), or nil to
    /// leave them as the process's.
    public var raftPriority: LoopPriority?
    /// How long a write waits for its entry to apply before answering "outcome unknown".
    public var proposalTimeoutMs: Int = 5_000
    /// The admin API's limits: connections at once, how long a new connection may take to send
    /// a complete request head, how long one may idle between requests, how long an answer may
    /// wait on a client that does not read before the connection is closed, and how many events
    /// an event stream may fall behind before it is dropped.
    public var adminLimits = AdminLimits()
    /// The WAL's segment size; tests set it small to make segment switches frequent.
    public var walSegmentBytes: Int?
    /// A bug planted on purpose, only for tests that prove a checker catches it.
    public var plantedBug: PlantedBug?

    public init(id: String, raftPort: Int, adminPort: Int, dataDir: String) {
        self.id = id
        self.raftPort = raftPort
        self.adminPort = adminPort
        self.dataDir = dataDir
    }

    public var raftAddress: String { "\(raftHost):\(raftPort)" }
    public var adminAddress: String { "\(adminHost):\(adminPort)" }

    /// Why this configuration cannot work, or nil.
    public var problem: String? {
        if id.isEmpty || id.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            return "node id \"\(id)\" must be letters, digits, - or _"
        }
        if heartbeatMs < tickMs { return "the heartbeat (\(heartbeatMs) ms) must be at least one tick (\(tickMs) ms)" }
        if electionMs <= heartbeatMs { return "the election timeout (\(electionMs) ms) must exceed the heartbeat (\(heartbeatMs) ms)" }
        if slots < 0 { return "--slots must be 0 or more" }
        if proposalTimeoutMs < 1 { return "--proposal-timeout-ms must be at least 1" }
        if let problem = adminLimits.problem { return problem }
        if retention.keepFinished < 0 { return "--retain-count must be 0 or more" }
        if maxUnfinishedTasks < 0 { return "--max-unfinished must be 0 (no limit) or more" }
        switch raftPriority {
        case .nice(let nice) where !(-20...19).contains(nice): return "--raft-nice must be from -20 to 19 (got \(nice))"
        case .realtime(let level) where !(1...99).contains(level): return "--raft-realtime must be from 1 to 99 (got \(level))"
        default: break
        }
        if !bootstrapPeers.isEmpty, !bootstrapPeers.contains(where: { $0.id == id }) {
            return "--peers must include this node (\(id))"
        }
        if !bootstrapPeers.isEmpty, join != nil { return "use either --peers (a new cluster) or --join (an existing one), not both" }
        if token == nil, !insecure, !(Self.isLoopback(adminHost) && Self.isLoopback(raftHost)) {
            return "refusing to listen on a non-loopback address without a token: pass --token-file, or --insecure"
        }
        return nil
    }

    /// Whether `host` is only reachable from this machine: mutations without a token are safe there.
    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
    }
}

/// A member as given on the command line: `n1=127.0.0.1:7101/127.0.0.1:8101`.
public struct PeerSpec: Sendable, Equatable {
    public var id: String
    public var raftAddress: String
    public var adminAddress: String

    public init(id: String, raftAddress: String, adminAddress: String) {
        self.id = id
        self.raftAddress = raftAddress
        self.adminAddress = adminAddress
    }

    /// Parses `id=RAFT/ADMIN`.
    public static func parse(_ text: String) -> PeerSpec? {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let addrs = parts[1].split(separator: "/")
        guard addrs.count == 2, !parts[0].isEmpty else { return nil }
        return PeerSpec(id: String(parts[0]), raftAddress: String(addrs[0]), adminAddress: String(addrs[1]))
    }
}
