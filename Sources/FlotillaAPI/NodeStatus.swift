/// The version every node and client reports.
public let flotillaVersion = "0.1.0"

/// `GET /v1/status`: everything one node knows about itself and, when leader, its peers.
public struct NodeStatus: Codable, Sendable, Equatable {
    public var id: String
    public var clusterID: String
    public var role: NodeRole
    public var term: UInt64
    public var leader: String?
    public var vote: String?
    public var commit: UInt64
    public var applied: UInt64
    public var lastIndex: UInt64
    public var snapshotIndex: UInt64
    /// The chained log hash at `commit`, in hex: two nodes agree on their committed prefix when these match at the same index.
    public var commitHash: String
    public var members: [MemberInfo]
    /// The leader's view of every other member; empty on followers.
    public var peers: [PeerInfo]
    public var tasks: TaskCounts
    public var faults: FaultSpec
    public var raftAddress: String
    public var adminAddress: String
    public var uptimeMs: UInt64
    public var version: String
    /// Why this node's disk refuses writes, while it does (a full disk): the node still answers
    /// reads, refuses writes with a `storage` error, and resumes by itself once space returns.
    public var storageError: String?
    /// How long ago this node last heard from a leader other than itself, by its own clock (nil:
    /// never). A new leader's value is when it last heard from the one before it.
    public var leaderContactAgeMs: UInt64?
    /// How long this node has led, by its own clock; nil unless it leads.
    public var leaderForMs: UInt64?
    /// The incarnation this node's storage drew (16 hex digits): with the id, who it is to its peers.
    public var incarnation: String?
    /// Tasks this node runs at once.
    public var slots: Int?
    /// While a founder that started on empty storage asks the other founders whether the cluster
    /// exists already: what it waits for. Nil once it takes part in Raft.
    public var founding: String?
    /// The founders this node was started with (`--peers`), each one's Raft address by id, while
    /// it holds no log: founders compare these before the first of them founds. Nil otherwise.
    public var founders: [String: String]?
    /// The longest a snapshot held this node's Raft loop since it started, in ms to the hundredth;
    /// nil before the first.
    public var snapshotHeldMaxMs: Double?
    /// Of that longest hold, the ms the loop's thread was on the CPU; the rest it waited to run.
    public var snapshotHeldMaxCPUMs: Double?
    /// Of that longest hold, how often the scheduler took the loop's thread off the CPU (it
    /// waited for a core), and how often it blocked (on I/O or a lock).
    public var snapshotHeldMaxPreempted: Int?
    public var snapshotHeldMaxBlocked: Int?

    public init(id: String, clusterID: String, role: NodeRole, term: UInt64, leader: String?, vote: String?,
                commit: UInt64, applied: UInt64, lastIndex: UInt64, snapshotIndex: UInt64, commitHash: String,
                members: [MemberInfo], peers: [PeerInfo], tasks: TaskCounts, faults: FaultSpec,
                raftAddress: String, adminAddress: String, uptimeMs: UInt64, version: String = flotillaVersion,
                storageError: String? = nil, leaderContactAgeMs: UInt64? = nil, leaderForMs: UInt64? = nil) {
        self.id = id
        self.clusterID = clusterID
        self.role = role
        self.term = term
        self.leader = leader
        self.vote = vote
        self.commit = commit
        self.applied = applied
        self.lastIndex = lastIndex
        self.snapshotIndex = snapshotIndex
        self.commitHash = commitHash
        self.members = members
        self.peers = peers
        self.tasks = tasks
        self.faults = faults
        self.raftAddress = raftAddress
        self.adminAddress = adminAddress
        self.uptimeMs = uptimeMs
        self.version = version
        self.storageError = storageError
        self.leaderContactAgeMs = leaderContactAgeMs
        self.leaderForMs = leaderForMs
    }

    /// How long the election that made this node leader took, in ms, by its own clock: from the
    /// last word it heard from the previous leader to taking over. Nil unless it leads and heard one.
    public var electionMs: UInt64? {
        guard let led = leaderForMs, let heard = leaderContactAgeMs, heard >= led else { return nil }
        return heard - led
    }

    /// Moves the fields that age on their own forward by `ms` (a watcher saw no other change).
    public mutating func age(by ms: UInt64) {
        uptimeMs += ms
        if let a = leaderContactAgeMs { leaderContactAgeMs = a + ms }
        if let l = leaderForMs { leaderForMs = l + ms }
    }
}

/// A cluster member and where to reach it.
public struct MemberInfo: Codable, Sendable, Equatable {
    public var id: String
    public var raftAddress: String
    public var adminAddress: String
    public var voter: Bool

    /// The incarnation the membership records for the member (16 hex digits), when it records one.
    public var incarnation: String?

    public init(id: String, raftAddress: String, adminAddress: String, voter: Bool, incarnation: String? = nil) {
        self.id = id
        self.raftAddress = raftAddress
        self.adminAddress = adminAddress
        self.voter = voter
        self.incarnation = incarnation
    }
}

/// The leader's view of one peer's replication.
public struct PeerInfo: Codable, Sendable, Equatable {
    public var id: String
    public var match: UInt64
    public var next: UInt64
    /// probe, replicate or snapshot.
    public var progress: String
    /// healthy, catching-up or unreachable.
    public var status: String
    public var lastContactMs: UInt64
    /// Bytes of a snapshot transfer sent and its total, while one runs.
    public var snapshotSent: Int?
    public var snapshotTotal: Int?

    public init(id: String, match: UInt64, next: UInt64, progress: String, status: String, lastContactMs: UInt64,
                snapshotSent: Int? = nil, snapshotTotal: Int? = nil) {
        self.id = id
        self.match = match
        self.next = next
        self.progress = progress
        self.status = status
        self.lastContactMs = lastContactMs
        self.snapshotSent = snapshotSent
        self.snapshotTotal = snapshotTotal
    }
}

/// Task counts by state, and the load of each node.
public struct TaskCounts: Codable, Sendable, Equatable {
    public var byState: [TaskState: Int]
    public var queued: Int
    /// Tasks assigned or running, per node.
    public var perNode: [String: Int]
    /// Finished tasks removed by retention so far (nil from nodes before retention).
    public var removed: Int?
    /// Keys of removed tasks still remembered inside the key window.
    public var rememberedKeys: Int?

    public init(byState: [TaskState: Int] = [:], queued: Int = 0, perNode: [String: Int] = [:]) {
        self.byState = byState
        self.queued = queued
        self.perNode = perNode
    }
}

/// `PUT /v1/faults`: what this node drops or delays on its Raft links. The admin API is never filtered.
/// `delayMs`, `jitterMs`, `loss`, `duplicate` and `reorder` apply to every message the node
/// sends; `links` adds a fault on the messages to one peer on top of those (delays add up,
/// probabilities combine as independent chances). Only `drop`, `direction`, `delayMs` and
/// `loss` are required, as before the others existed.
public struct FaultSpec: Codable, Sendable, Equatable {
    public var drop: [String]
    public var direction: FaultDirection
    public var delayMs: Int
    public var loss: Double
    public var jitterMs: Int
    public var duplicate: Double
    public var reorder: Double
    /// Faults on the messages to one peer, keyed by its id.
    public var links: [String: LinkFaultSpec]
    /// Added to every fsync of the node's storage (a slow disk), in ms.
    public var fsyncDelayMs: Int
    /// The node's disk is full: every write fails with ENOSPC until this is cleared.
    public var diskFull: Bool
    /// How fast the node's timers run against real time: 3 fires its election and heartbeat
    /// timeouts three times too early, 0.5 twice too late; 1 is a true clock.
    public var clockRate: Double

    /// The largest fsync delay a node takes, in ms.
    public static let maxFsyncDelayMs = 10_000
    /// The slowest and fastest clock a node takes.
    public static let clockRates: ClosedRange<Double> = 0.1...10

    public init(drop: [String] = [], direction: FaultDirection = .both, delayMs: Int = 0, loss: Double = 0,
                jitterMs: Int = 0, duplicate: Double = 0, reorder: Double = 0, links: [String: LinkFaultSpec] = [:],
                fsyncDelayMs: Int = 0, diskFull: Bool = false, clockRate: Double = 1) {
        self.drop = drop
        self.direction = direction
        self.delayMs = delayMs
        self.loss = loss
        self.jitterMs = jitterMs
        self.duplicate = duplicate
        self.reorder = reorder
        self.links = links
        self.fsyncDelayMs = fsyncDelayMs
        self.diskFull = diskFull
        self.clockRate = clockRate
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(drop: try c.decode([String].self, forKey: .drop),
                  direction: try c.decode(FaultDirection.self, forKey: .direction),
                  delayMs: try c.decode(Int.self, forKey: .delayMs),
                  loss: try c.decode(Double.self, forKey: .loss),
                  jitterMs: try c.decodeIfPresent(Int.self, forKey: .jitterMs) ?? 0,
                  duplicate: try c.decodeIfPresent(Double.self, forKey: .duplicate) ?? 0,
                  reorder: try c.decodeIfPresent(Double.self, forKey: .reorder) ?? 0,
                  links: try c.decodeIfPresent([String: LinkFaultSpec].self, forKey: .links) ?? [:],
                  fsyncDelayMs: try c.decodeIfPresent(Int.self, forKey: .fsyncDelayMs) ?? 0,
                  diskFull: try c.decodeIfPresent(Bool.self, forKey: .diskFull) ?? false,
                  clockRate: try c.decodeIfPresent(Double.self, forKey: .clockRate) ?? 1)
    }

    enum CodingKeys: String, CodingKey {
        case drop, direction, delayMs, loss, jitterMs, duplicate, reorder, links, fsyncDelayMs, diskFull, clockRate
    }

    /// The fields added with link, disk and clock faults are left out while they do nothing, so
    /// rules without them read as before.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(drop, forKey: .drop)
        try c.encode(direction, forKey: .direction)
        try c.encode(delayMs, forKey: .delayMs)
        try c.encode(loss, forKey: .loss)
        if jitterMs != 0 { try c.encode(jitterMs, forKey: .jitterMs) }
        if duplicate != 0 { try c.encode(duplicate, forKey: .duplicate) }
        if reorder != 0 { try c.encode(reorder, forKey: .reorder) }
        if !links.isEmpty { try c.encode(links, forKey: .links) }
        if fsyncDelayMs != 0 { try c.encode(fsyncDelayMs, forKey: .fsyncDelayMs) }
        if diskFull { try c.encode(diskFull, forKey: .diskFull) }
        if clockRate != 1 { try c.encode(clockRate, forKey: .clockRate) }
    }

    /// The fault on every link this node sends over.
    public var everyLink: LinkFaultSpec {
        get { LinkFaultSpec(delayMs: delayMs, jitterMs: jitterMs, loss: loss, duplicate: duplicate, reorder: reorder) }
        set {
            delayMs = newValue.delayMs
            jitterMs = newValue.jitterMs
            loss = newValue.loss
            duplicate = newValue.duplicate
            reorder = newValue.reorder
        }
    }

    public var isClean: Bool {
        drop.isEmpty && everyLink.isClean && links.values.allSatisfy(\.isClean) && nodeIsClean
    }

    /// No disk or clock fault.
    public var nodeIsClean: Bool { fsyncDelayMs == 0 && !diskFull && clockRate == 1 }

    /// Why this spec cannot be applied, or nil.
    public var problem: String? {
        if !direction.isKnown { return "direction must be \(FaultDirection.knownList) (got \"\(direction.rawValue.prefix(40))\")" }
        if let problem = everyLink.problem() { return problem }
        for (peer, link) in links.sorted(by: { $0.key < $1.key }) {
            if peer.isEmpty || peer.count > 64 { return "links must be keyed by a node id of 1 to 64 characters" }
            if let problem = link.problem("links.\(peer).") { return problem }
        }
        if !(0...Self.maxFsyncDelayMs).contains(fsyncDelayMs) { return "fsyncDelayMs must be between 0 and \(Self.maxFsyncDelayMs)" }
        if !Self.clockRates.contains(clockRate) {
            return "clockRate must be between \(Self.clockRates.lowerBound) and \(Self.clockRates.upperBound) (1 is a true clock)"
        }
        return nil
    }

    /// The disk and clock faults as one line, `fsync +50ms, disk full, clock 3x`, or nil when there are none.
    public var nodeSummary: String? {
        var parts: [String] = []
        if fsyncDelayMs > 0 { parts.append("fsync +\(fsyncDelayMs)ms") }
        if diskFull { parts.append("disk full") }
        if clockRate != 1 { parts.append("clock \(Self.rateText(clockRate))") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// Every fault but the drops (which the partition lines show): the node's own, then its links'.
    public var summary: String? {
        let parts = [nodeSummary, linkSummary].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// `3x`, `0.5x`: a clock rate as operators write it.
    public static func rateText(_ rate: Double) -> String {
        let r = (rate * 100).rounded() / 100
        return r == r.rounded() ? "\(Int(r))x" : "\(r)x"
    }

    /// The link faults as one line, `->n2 delay 100ms±20 loss 10%` (`->all` for every
    /// link), or nil when there are none.
    public var linkSummary: String? {
        var parts: [String] = []
        if !everyLink.isClean { parts.append("->all \(everyLink.summary)") }
        for (peer, link) in links.sorted(by: { $0.key < $1.key }) where !link.isClean {
            parts.append("->\(peer) \(link.summary)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }
}
