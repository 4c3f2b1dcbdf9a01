import BinaryCoding

/// One Raft node as a pure state machine. Inputs are `tick()`, `step(_:)` and the
/// operator calls (`propose`, `transferLeadership`, …); the output of each batch of
/// inputs is collected with `takeReady()`. It does no I/O and reads no clock: time
/// enters as ticks and randomness from a generator seeded by `RaftConfig.randomSeed`.
public struct RaftNode: Sendable {
    public let config: RaftConfig
    public var id: NodeID { config.id }

    public internal(set) var term: UInt64 = 0
    public internal(set) var vote: NodeID?
    public internal(set) var role: Role = .follower
    public internal(set) var leader: NodeID?
    public internal(set) var membership: Membership

    var log: RaftLog
    var rng: SplitMix64

    /// Ticks since the last election timeout reset (followers, candidates) or check-quorum round (leaders).
    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    /// Total ticks seen; a clock for contact times.
    public internal(set) var ticks: UInt64 = 0

    // Candidate state.
    var votes: [NodeID: Bool] = [:]

    // Leader state.
    var progress: [NodeID: Progress] = [:]
    var leadTransferee: NodeID?
    /// The last config entry the leader appended; no new change until it is applied.
    var pendingConfIndex: UInt64 = 0
    var pendingReads: [PendingRead] = []
    var readsAwaitingCommit: [UInt64] = []
    var needsBroadcast = false

    /// The latest state-machine snapshot, sent to peers that fell behind the log.
    public internal(set) var latestSnapshot: Snapshot?
    /// A snapshot being received from the leader, chunk by chunk.
    var incomingSnapshot: IncomingSnapshot?
    /// A whole snapshot handed to the host, acknowledged once the host has stored it.
    var awaitingInstall: AwaitedInstall?
    /// Config entries up to here are already in `membership` (folded in at restart), so
    /// handing them out again must not re-apply them.
    var configAppliedIndex: UInt64 = 0

    // Output accumulated until `takeReady()`.
    var messages: [Message] = []
    var events: [RaftEvent] = []
    var readStates: [ReadState] = []
    var snapshotToPersist: Snapshot?
    var receivedSnapshot: IncomingSnapshot?
    var persistedHardState: HardState

    struct PendingRead: Sendable {
        var context: UInt64
        var index: UInt64
        var acks: Set<NodeID>
    }

    /// Starts a node. With no `restoring` state it starts empty: it will join a cluster
    /// when a leader contacts it, or bootstrap one through `bootstrap(_:)`.
    public init(config: RaftConfig, restoring state: PersistentState? = nil) {
        precondition(config.problem == nil, config.problem ?? "")
        self.config = config
        self.rng = SplitMix64(seed: config.randomSeed)
        let snapshot = state?.snapshot
        let meta = snapshot?.metadata ?? .empty
        let hard = state?.hardState ?? HardState()
        self.log = RaftLog(snapshot: meta, entries: state?.entries ?? [], committed: hard.commit)
        self.term = hard.term
        self.vote = hard.vote
        self.persistedHardState = hard
        self.latestSnapshot = snapshot.flatMap { $0.metadata.index > 0 ? $0 : nil }
        // The membership in force is the snapshot's plus every committed change after it.
        var m = meta.membership
        if hard.commit > meta.index {
            for e in log.entries where e.index <= hard.commit && e.kind == .config {
                if let change = try? ConfChange.decode(e.data) { m = m.applying(change) }
            }
        }
        self.membership = m
        self.configAppliedIndex = max(hard.commit, meta.index)
        resetRandomizedElectionTimeout()
    }

    /// Creates entry 1 of a new cluster's log: the initial membership. Every founding node
    /// calls this with the same members, so their logs start identical.
    public mutating func bootstrap(_ initial: Membership) throws(RaftError) {
        guard log.lastIndex == 0, term == 0 else { throw .invalidConfChange("the log is not empty; the cluster already exists") }
        if let why = initial.rejection(of: .bootstrap(initial)) { throw .invalidConfChange(why) }
        let change = ConfChange.bootstrap(initial)
        term = 1
        let e = log.appendNew(term: 1, kind: .config, data: change.encode())
        _ = log.commit(to: e.index)
        membership = initial
    }

    // MARK: - Queries

    public var commitIndex: UInt64 { log.committed }
    public var appliedIndex: UInt64 { log.applied }
    public var lastIndex: UInt64 { log.lastIndex }
    public var lastTerm: UInt64 { log.lastTerm }
    public var snapshotIndex: UInt64 { log.snapshot.index }
    public var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }
    public var isVoter: Bool { membership.isVoter(id) }
    public var transferTarget: NodeID? { leadTransferee }

    /// The chained hash at `index`, if this node still holds that entry (or its snapshot ends there).
    public func hash(at index: UInt64) -> UInt64? { log.hash(at: index) }
    public func term(at index: UInt64) -> UInt64? { log.term(at: index) }
    public func entry(at index: UInt64) -> Entry? { log.entry(at: index) }
    public var commitHash: UInt64 { log.hash(at: log.committed) ?? 0 }

    // MARK: - Output

    public var hasReady: Bool {
        !messages.isEmpty || !events.isEmpty || !readStates.isEmpty || snapshotToPersist != nil || receivedSnapshot != nil
            || hardState != persistedHardState || log.unstableFrom <= log.lastIndex
            || log.committed > log.applied || needsBroadcast
    }

    /// `takeReady()` when there is something to take, else nil; a drain loop's one call per
    /// batch. (Being mutating, it also spares callers holding the node in an array or a class
    /// the copy of the whole node that reading `hasReady` from there costs.)
    public mutating func nextReady() -> Ready? { hasReady ? takeReady() : nil }

    /// Collects everything produced since the last call. The caller must persist, then
    /// send, then apply, in that order (see `Ready`).
    public mutating func takeReady() -> Ready {
        if needsBroadcast {
            needsBroadcast = false
            if role == .leader { broadcastAppend() }
        }
        var ready = Ready()
        let hs = hardState
        if hs != persistedHardState {
            ready.hardState = hs
            persistedHardState = hs
        }
        ready.snapshot = snapshotToPersist
        snapshotToPersist = nil
        ready.receivedSnapshot = receivedSnapshot
        receivedSnapshot = nil
        ready.entries = log.takeUnstable()
        ready.messages = messages
        messages = []
        let committed = log.takeCommitted()
        for e in committed where e.kind == .config && e.index > configAppliedIndex { applyConfChange(e) }
        ready.committed = committed
        ready.readStates = readStates
        readStates = []
        ready.events = events
        events = []
        return ready
    }

    func send(_ to: NodeID, _ body: Message.Body, term: UInt64? = nil) -> Message {
        Message(from: id, to: to, term: term ?? self.term, body: body)
    }

    mutating func emit(_ to: NodeID, _ body: Message.Body, term: UInt64? = nil) {
        messages.append(send(to, body, term: term))
    }

    /// Reports a broken invariant: an event always, a trap in debug builds when configured.
    mutating func violation(_ what: String) {
        events.append(.invariantViolation("\(id): \(what)"))
        if config.trapOnInvariantViolation { assertionFailure("\(id): invariant violated: \(what)") }
    }

    // MARK: - Time

    mutating func resetRandomizedElectionTimeout() {
        randomizedElectionTimeout = config.electionTicks + rng.below(config.electionTicks)
    }

    /// Advances logical time by one tick.
    public mutating func tick() {
        ticks += 1
        if role == .leader {
            tickLeader()
        } else {
            electionElapsed += 1
            if isVoter, electionElapsed >= randomizedElectionTimeout {
                electionElapsed = 0
                campaign(transfer: false)
            }
        }
    }

    mutating func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= config.electionTicks {
            electionElapsed = 0
            if config.checkQuorum {
                let active = membership.voters.filter { $0 == id || progress[$0]?.recentActive == true }.count
                for key in progress.keys { progress[key]?.recentActive = false }
                if active < membership.quorum {
                    events.append(.checkQuorumFailed(term: term))
                    becomeFollower(term: term, leader: nil)
                    return
                }
            }
            if let target = leadTransferee {
                leadTransferee = nil
                events.append(.transferAborted(to: target, reason: "target did not take over within an election timeout"))
            }
        }
        if heartbeatElapsed >= config.heartbeatTicks {
            heartbeatElapsed = 0
            broadcastHeartbeat(context: 0)
        }
    }

    /// The runtime lost its connection to `peer`. A follower that loses its leader this way
    /// campaigns (with a pre-vote) soon, instead of waiting out the whole election timeout:
    /// peers that still hear the leader refuse the pre-vote, so a healthy leader is not disturbed.
    /// A leader probes the peer again before pipelining to it.
    public mutating func peerDisconnected(_ peer: NodeID) {
        if role == .leader, let slot = progress.index(forKey: peer), case .replicate = progress.values[slot].state {
            // A peer that went away may come back with less than it acknowledged (a disk that
            // lied about fsync): probe once from its match, which finds out, instead of assuming.
            progress.values[slot].becomeProbe()
            return
        }
        guard role == .follower, leader == peer, isVoter else { return }
        leader = nil
        events.append(.leaderChanged(leader: nil, term: term))
        // Campaign within one base timeout instead of after lease + timeout; the spread keeps
        // followers that lost the leader together from splitting the vote.
        let soon = 1 + rng.below(config.electionTicks)
        electionElapsed = max(electionElapsed, randomizedElectionTimeout - soon)
    }

    // MARK: - Role changes

    mutating func setRole(_ new: Role) {
        if role != new { events.append(.roleChanged(from: role, to: new, term: term)) }
        role = new
    }

    mutating func setLeader(_ new: NodeID?) {
        if leader != new {
            leader = new
            events.append(.leaderChanged(leader: new, term: term))
        }
    }

    mutating func reset(term newTerm: UInt64) {
        if newTerm != term {
            if newTerm < term { violation("term would go back from \(term) to \(newTerm)") }
            term = newTerm
            vote = nil
        }
        electionElapsed = 0
        heartbeatElapsed = 0
        resetRandomizedElectionTimeout()
        votes = [:]
        progress = [:]
        leadTransferee = nil
        pendingReads = []
        readsAwaitingCommit = []
        needsBroadcast = false
    }

    mutating func becomeFollower(term newTerm: UInt64, leader newLeader: NodeID?) {
        reset(term: newTerm)
        setRole(.follower)
        setLeader(newLeader)
    }

    mutating func becomeLeader() {
        precondition(role == .candidate, "only a candidate becomes leader")
        reset(term: term)
        setRole(.leader)
        setLeader(id)
        for peer in membership.ids where peer != id {
            progress[peer] = Progress(next: log.lastIndex + 1)
        }
        let noop = log.appendNew(term: term, kind: .noop, data: [])
        pendingConfIndex = noop.index
        maybeCommit()
        broadcastAppend()
    }
}
