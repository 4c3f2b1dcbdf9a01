import RaftCore
import Testing

/// A deterministic, in-memory Raft cluster for scenario tests, in the spirit of etcd-io/raft's
/// interaction tests. Nothing happens on its own: the test ticks nodes, delivers messages and
/// injects faults, and every `Ready` is handled the way a runtime must (persist, send, apply).
///
/// While it runs, the cluster checks Raft's safety properties on everything that goes by and
/// records a test issue the moment one breaks:
/// - Election Safety: at most one node becomes leader in any term;
/// - Leader Append-Only: a leader never rewrites entries it already persisted;
/// - Leader Completeness: a new leader holds every entry any node has applied;
/// - State Machine Safety: every node applies the same entry at each index, in index order;
/// - persisted hard state: the term and commit never go back, and no node changes its vote within a term;
/// - linearizable reads: a `ReadState` is never below a commit index reached before the read was requested;
/// - any `.invariantViolation` event a node reports.
final class TestCluster {
    static let electionTicks = 10
    static let heartbeatTicks = 2

    struct Link: Hashable {
        var from: NodeID
        var to: NodeID
    }

    let seed: UInt64
    private let configure: (inout RaftConfig) -> Void

    /// Every node ever created, in creation order.
    private(set) var ids: [NodeID] = []
    private var nodes: [NodeID: RaftNode] = [:]
    private(set) var storage: [NodeID: MemoryStorage] = [:]
    private(set) var machines: [NodeID: StateMachine] = [:]

    /// Messages sent and not yet delivered or dropped, oldest first.
    private(set) var inFlight: [Message] = []
    /// Every message any node sent, in the order it was sent.
    private(set) var sent: [Message] = []
    /// Every message that reached its destination, in delivery order.
    private(set) var delivered: [Message] = []
    private(set) var events: [NodeID: [RaftEvent]] = [:]
    private(set) var readStates: [NodeID: [ReadState]] = [:]
    /// Snapshots that arrived in a node's `Ready` to store (received from a leader and installed).
    private(set) var installedSnapshots: [NodeID: [SnapshotMetadata]] = [:]
    /// Each commit index a node persisted, in order.
    private(set) var commitHistory: [NodeID: [UInt64]] = [:]

    /// For each read in progress, the highest commit index any node had when it was requested.
    private var readFloor: [UInt64: UInt64] = [:]

    /// Who became leader in each term.
    private(set) var leaderOfTerm: [UInt64: NodeID] = [:]
    /// The entry applied at each index, by whichever node applied it first.
    private(set) var appliedEntries: [UInt64: Entry] = [:]

    /// Crashed nodes: not ticked, and messages to them are lost. (Iterate it sorted: a `Set`'s
    /// order changes from one process to the next, and the runs must be reproducible.)
    private(set) var down: Set<NodeID> = []
    private var isolated: Set<NodeID> = []
    private var cuts: Set<Link> = []
    private var dropRules: [(Message) -> Bool] = []

    /// Set by a test that provokes an `.invariantViolation` on purpose; otherwise one fails the test.
    var violationsExpected = false

    /// When set, a snapshot a node receives whole waits in `receivedSnapshots` until the test
    /// installs it (`install`), as a host storing it off its loop would; otherwise it is
    /// installed as soon as it arrives.
    var holdInstalls = false
    private(set) var receivedSnapshots: [NodeID: [IncomingSnapshot]] = [:]

    /// Rounds of `tick` so far.
    private(set) var now = 0

    /// Bootstraps `voters` nodes named n1…nN with the same membership. `configure` adjusts
    /// each node's config (it sees `config.id`).
    init(voters: Int = 3, seed: UInt64 = 1, configure: @escaping (inout RaftConfig) -> Void = { _ in }) {
        self.seed = seed
        self.configure = configure
        let members = (1...voters).map { Member(id: "n\($0)", isVoter: true) }
        for m in members {
            addNode(m.id)
            do {
                try nodes[m.id]!.bootstrap(Membership(members))
            } catch {
                Issue.record("bootstrap of \(m.id) failed: \(error)")
            }
            process(m.id)
        }
    }

    // MARK: - Nodes

    subscript(id: NodeID) -> RaftNode { nodes[id]! }

    func config(for id: NodeID) -> RaftConfig {
        var c = RaftConfig(id: id)
        c.electionTicks = Self.electionTicks
        c.heartbeatTicks = Self.heartbeatTicks
        c.randomSeed = seed &* 1_000 &+ (UInt64(id.dropFirst()) ?? 999)
        c.trapOnInvariantViolation = false
        configure(&c)
        return c
    }

    /// Adds an empty node that joins when a leader contacts it (after an `addLearner`).
    func addNode(_ id: NodeID) {
        precondition(nodes[id] == nil, "\(id) exists")
        ids.append(id)
        nodes[id] = RaftNode(config: config(for: id))
        storage[id] = MemoryStorage()
        machines[id] = StateMachine()
        process(id)
    }

    /// The node stops: it is not ticked and messages to it are lost. What it persisted stays.
    func crash(_ id: NodeID) {
        down.insert(id)
    }

    /// Starts the node again from what it persisted; everything it only had in memory is gone.
    func restart(_ id: NodeID) {
        let disk = storage[id]!
        nodes[id] = RaftNode(config: config(for: id), restoring: disk.persistentState)
        machines[id] = disk.snapshot.map(StateMachine.init(restoring:)) ?? StateMachine()
        down.remove(id)
        process(id)
    }

    /// A crashed node's disk lost entries it had synced (it lied about fsync): everything after
    /// `index` is gone, and with it any commit index beyond.
    func loseSyncedEntries(_ id: NodeID, after index: UInt64) {
        precondition(down.contains(id), "crash \(id) first")
        storage[id]!.entries.removeAll { $0.index > index }
        storage[id]!.hardState.commit = min(storage[id]!.hardState.commit, index)
    }

    var upNodes: [NodeID] { ids.filter { !down.contains($0) } }

    /// The live nodes that think they lead, sorted by id.
    var leaders: [NodeID] { upNodes.filter { nodes[$0]!.role == .leader } }

    /// The live leader with the highest term.
    var leader: NodeID? { leaders.max { nodes[$0]!.term < nodes[$1]!.term } }

    /// The node's whole log from its first uncompacted entry.
    func log(_ id: NodeID) -> [Entry] {
        let n = nodes[id]!
        guard n.lastIndex > n.snapshotIndex else { return [] }
        return (n.snapshotIndex + 1...n.lastIndex).map { n.entry(at: $0)! }
    }

    /// The payloads of the normal entries the node's state machine has applied, in order.
    func values(_ id: NodeID) -> [String] { machines[id]!.values }

    // MARK: - Operations (each handles the node's Ready at once)

    @discardableResult
    func propose(_ id: NodeID, _ text: String) throws(RaftError) -> EntryID {
        defer { process(id) }
        return try nodes[id]!.propose(Array(text.utf8))
    }

    @discardableResult
    func proposeConfChange(_ id: NodeID, _ change: ConfChange) throws(RaftError) -> EntryID {
        defer { process(id) }
        return try nodes[id]!.proposeConfChange(change)
    }

    func transferLeadership(_ id: NodeID, to target: NodeID) throws(RaftError) {
        defer { process(id) }
        try nodes[id]!.transferLeadership(to: target)
    }

    func readIndex(_ id: NodeID, context: UInt64) throws(RaftError) {
        defer { process(id) }
        // Linearizability: the read must see everything committed anywhere before it began.
        readFloor[context] = nodes.values.map(\.commitIndex).max() ?? 0
        try nodes[id]!.readIndex(context: context)
    }

    func peerDisconnected(_ id: NodeID, from peer: NodeID) {
        nodes[id]!.peerDisconnected(peer)
        process(id)
    }

    /// Snapshots the node's state machine at its applied index and compacts its log,
    /// storing the snapshot the way a runtime would.
    func compact(_ id: NodeID, sourceLocation: SourceLocation = #_sourceLocation) {
        let machine = machines[id]!
        #expect(machine.appliedIndex == nodes[id]!.appliedIndex, "state machine and Raft disagree on applied", sourceLocation: sourceLocation)
        do {
            try nodes[id]!.compact(index: machine.appliedIndex, snapshotData: machine.snapshotData)
        } catch {
            Issue.record("compact of \(id) failed: \(error)", sourceLocation: sourceLocation)
            return
        }
        if let snap = nodes[id]!.latestSnapshot { storage[id]!.compact(to: snap) }
        process(id)
    }

    /// Hands `id` its oldest held snapshot back, stored: returns what `installSnapshot` said.
    @discardableResult
    func install(_ id: NodeID) -> Bool {
        guard var held = receivedSnapshots[id], !held.isEmpty else { return false }
        let received = held.removeFirst()
        receivedSnapshots[id] = held
        defer { process(id) }
        return nodes[id]!.installSnapshot(received.joined())
    }

    /// Steps a message straight into its destination, as if it had just arrived.
    func inject(_ m: Message) {
        nodes[m.to]!.step(m)
        delivered.append(m)
        process(m.to)
    }

    /// Proposes `count` entries named prefix-1… on the leader and lets them commit.
    func proposeAndCommit(_ id: NodeID, count: Int, prefix: String = "v", sourceLocation: SourceLocation = #_sourceLocation) {
        for k in 1...count {
            do {
                try propose(id, "\(prefix)\(k)")
            } catch {
                Issue.record("proposal on \(id) refused: \(error)", sourceLocation: sourceLocation)
            }
        }
        stabilize(sourceLocation: sourceLocation)
    }

    // MARK: - Time

    /// Ticks the given nodes (all live nodes by default) `times` times; after each round,
    /// delivers messages until the network is quiet unless `deliver` is false.
    func tick(_ which: [NodeID]? = nil, times: Int = 1, deliver: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
        for _ in 0..<times {
            now += 1
            for id in which ?? ids where !down.contains(id) {
                nodes[id]!.tick()
                process(id)
            }
            if deliver { stabilize(sourceLocation: sourceLocation) }
        }
    }

    func tickAll(_ times: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        tick(times: times, sourceLocation: sourceLocation)
    }

    /// Ticks (with delivery) until `condition` holds; returns how many rounds that took, or
    /// nil — and records an issue — if it did not hold within `limit` rounds.
    @discardableResult
    func tick(_ which: [NodeID]? = nil, until condition: (TestCluster) -> Bool, within limit: Int,
              sourceLocation: SourceLocation = #_sourceLocation) -> Int? {
        for rounds in 0...limit {
            if condition(self) { return rounds }
            if rounds < limit { tick(which, sourceLocation: sourceLocation) }
        }
        Issue.record("condition not reached within \(limit) ticks", sourceLocation: sourceLocation)
        return nil
    }

    /// Makes `id` leader by ticking it alone past its election timeout (timeouts are drawn from
    /// [electionTicks, 2 × electionTicks)), delivering messages after every tick.
    func elect(_ id: NodeID, sourceLocation: SourceLocation = #_sourceLocation) {
        for _ in 0..<(4 * Self.electionTicks) {
            if nodes[id]!.role == .leader { break }
            tick([id], sourceLocation: sourceLocation)
        }
        #expect(nodes[id]!.role == .leader, "\(id) did not win an election", sourceLocation: sourceLocation)
        stabilize(sourceLocation: sourceLocation)
    }

    /// Ticks `id` alone, without delivering anything, until it starts campaigning.
    func tickUntilCampaigning(_ id: NodeID, sourceLocation: SourceLocation = #_sourceLocation) {
        for _ in 0..<(2 * Self.electionTicks) {
            if nodes[id]!.role == .preCandidate || nodes[id]!.role == .candidate { return }
            tick([id], deliver: false, sourceLocation: sourceLocation)
        }
        if nodes[id]!.role == .preCandidate || nodes[id]!.role == .candidate { return }
        Issue.record("\(id) did not campaign within two election timeouts", sourceLocation: sourceLocation)
    }

    // MARK: - Network

    /// Cuts every link to and from `id`, including to nodes added later.
    func isolate(_ id: NodeID) { isolated.insert(id) }

    /// Splits the cluster: nodes in different groups cannot reach each other.
    func partition(_ groups: [NodeID]...) {
        for (i, a) in groups.enumerated() {
            for (j, b) in groups.enumerated() where i != j {
                for x in a { for y in b { cuts.insert(Link(from: x, to: y)) } }
            }
        }
    }

    /// A one-way cut: messages from `from` to `to` are lost; the other direction still works.
    func cut(from: NodeID, to: NodeID) { cuts.insert(Link(from: from, to: to)) }

    /// Restores every link (isolations, partitions and one-way cuts; not drop rules).
    func heal() {
        isolated = []
        cuts = []
    }

    /// Loses every message for which `rule` is true (evaluated once per message, at delivery).
    func drop(_ rule: @escaping (Message) -> Bool) { dropRules.append(rule) }

    func clearDrops() { dropRules = [] }

    func isBlocked(_ m: Message) -> Bool {
        if down.contains(m.to) || nodes[m.to] == nil { return true }
        if isolated.contains(m.from) || isolated.contains(m.to) { return true }
        if cuts.contains(Link(from: m.from, to: m.to)) { return true }
        return dropRules.contains { $0(m) }
    }

    /// Delivers, in order, the messages in flight right now that `pick` selects; the others
    /// stay in flight. Blocked messages are lost. Messages sent in response wait for the next
    /// round. Returns how many were delivered.
    @discardableResult
    func deliverRound(where pick: (Message) -> Bool = { _ in true }) -> Int {
        let batch = inFlight
        inFlight = []
        var kept: [Message] = []
        var count = 0
        for m in batch {
            if isBlocked(m) { continue }
            guard pick(m) else {
                kept.append(m)
                continue
            }
            nodes[m.to]!.step(m)
            delivered.append(m)
            count += 1
            process(m.to)
        }
        inFlight = kept + inFlight
        return count
    }

    /// Delivers rounds of messages until none that `pick` selects is left in flight.
    /// A cluster that keeps talking for `maxRounds` rounds without ticks fails the test.
    func stabilize(where pick: (Message) -> Bool = { _ in true }, maxRounds: Int = 1_000,
                   sourceLocation: SourceLocation = #_sourceLocation) {
        for _ in 0..<maxRounds {
            if deliverRound(where: pick) == 0 { return }
        }
        Issue.record("messages still flowing after \(maxRounds) rounds without a tick", sourceLocation: sourceLocation)
    }

    /// One round of a hostile network: the messages in flight are shuffled, and each is lost
    /// with probability `lossPercent`% or delivered twice with probability `duplicatePercent`%.
    func deliverChaotically(_ rng: inout TestRandom, lossPercent: Int, duplicatePercent: Int) {
        var batch = inFlight
        inFlight = []
        for i in stride(from: batch.count - 1, to: 0, by: -1) { batch.swapAt(i, rng.below(i + 1)) }
        for m in batch where !isBlocked(m) {
            let roll = rng.below(100)
            if roll < lossPercent { continue }
            for _ in 0..<(roll < lossPercent + duplicatePercent ? 2 : 1) {
                nodes[m.to]!.step(m)
                delivered.append(m)
                process(m.to)
            }
        }
    }

    /// Loses the messages in flight that `rule` selects (all of them by default).
    func dropInFlight(where rule: (Message) -> Bool = { _ in true }) { inFlight.removeAll(where: rule) }

    // MARK: - Ready handling

    /// Handles every `Ready` the node has: persist, then send, then apply.
    func process(_ id: NodeID) {
        var batches = 0
        while nodes[id]!.hasReady {
            batches += 1
            if batches > 100 {
                Issue.record("\(id) keeps producing Readies")
                return
            }
            let wasLeader = nodes[id]!.role == .leader
            let ready = nodes[id]!.takeReady()
            handle(ready, of: id, wasLeader: wasLeader)
        }
    }

    private func handle(_ ready: Ready, of id: NodeID, wasLeader: Bool) {
        // 1. Persist.
        var disk = storage[id]!
        if let snap = ready.snapshot {
            disk.install(snap)
            machines[id] = StateMachine(restoring: snap)
            installedSnapshots[id, default: []].append(snap.metadata)
        }
        if let first = ready.entries.first?.index {
            if wasLeader, first <= disk.lastIndex {
                Issue.record("Leader Append-Only broken: leader \(id) rewrote its log from \(first) (stored up to \(disk.lastIndex))")
            }
            if let problem = disk.append(ready.entries) { Issue.record("\(id): \(problem)") }
        }
        if let hs = ready.hardState {
            let old = disk.hardState
            if hs.term < old.term { Issue.record("\(id): persisted term went back from \(old.term) to \(hs.term)") }
            if hs.term == old.term, let v = old.vote, hs.vote != v {
                Issue.record("\(id): changed its vote in term \(hs.term) from \(v) to \(hs.vote ?? "nobody")")
            }
            if hs.commit < old.commit { Issue.record("\(id): persisted commit went back from \(old.commit) to \(hs.commit)") }
            if hs.commit != old.commit { commitHistory[id, default: []].append(hs.commit) }
            disk.hardState = hs
        }
        storage[id] = disk

        // 2. Send.
        sent.append(contentsOf: ready.messages)
        inFlight.append(contentsOf: ready.messages)

        // 3. Apply.
        var machine = machines[id]!
        for e in ready.committed {
            if e.index != machine.appliedIndex + 1 {
                Issue.record("\(id) applied entry \(e.index) after \(machine.appliedIndex)")
            }
            if let first = appliedEntries[e.index] {
                if first != e {
                    Issue.record("State Machine Safety broken at \(e.index): \(id) applied term \(e.term) hash \(e.hash), another node term \(first.term) hash \(first.hash)")
                }
            } else {
                appliedEntries[e.index] = e
            }
            machine.apply(e)
        }
        machines[id] = machine
        for rs in ready.readStates {
            if let floor = readFloor[rs.context], rs.index < floor {
                Issue.record("stale read on \(id): context \(rs.context) at index \(rs.index), but \(floor) was committed before it was requested")
            }
        }
        readStates[id, default: []].append(contentsOf: ready.readStates)

        if let received = ready.receivedSnapshot {
            if holdInstalls {
                receivedSnapshots[id, default: []].append(received)
            } else if !nodes[id]!.installSnapshot(received.joined()) {
                Issue.record("\(id) refused the snapshot at \(received.metadata.index) it had just received")
            }
        }

        for event in ready.events {
            events[id, default: []].append(event)
            switch event {
            case .invariantViolation(let what):
                if !violationsExpected { Issue.record("invariant violation reported: \(what)") }
            case .roleChanged(_, .leader, let term):
                if let other = leaderOfTerm[term], other != id {
                    Issue.record("Election Safety broken: \(other) and \(id) both led term \(term)")
                }
                leaderOfTerm[term] = id
                checkLeaderCompleteness(id)
            default:
                break
            }
        }
    }

    /// Every entry any node applied must be in a new leader's log (or under its snapshot).
    private func checkLeaderCompleteness(_ id: NodeID) {
        let n = nodes[id]!
        for (index, e) in appliedEntries {
            if index < n.snapshotIndex { continue }
            if index == n.snapshotIndex {
                if n.hash(at: index) != e.hash { Issue.record("Leader Completeness broken: leader \(id) snapshot at \(index) disagrees") }
                continue
            }
            if n.entry(at: index) != e {
                Issue.record("Leader Completeness broken: new leader \(id) (term \(n.term)) lacks committed entry \(index)")
            }
        }
    }

    // MARK: - Checks and queries

    /// Log Matching: wherever two nodes hold an entry with the same index and term, the
    /// entries are identical and so are all the entries before them.
    func checkLogMatching(sourceLocation: SourceLocation = #_sourceLocation) {
        for (i, a) in ids.enumerated() {
            for b in ids[(i + 1)...] {
                let na = nodes[a]!, nb = nodes[b]!
                let low = max(na.snapshotIndex, nb.snapshotIndex)
                let high = min(na.lastIndex, nb.lastIndex)
                guard low <= high else { continue }
                var agreedUpTo: UInt64? = nil
                for index in stride(from: high, through: low, by: -1) where na.term(at: index) == nb.term(at: index) {
                    agreedUpTo = index
                    break
                }
                guard let top = agreedUpTo else { continue }
                #expect(na.hash(at: top) == nb.hash(at: top), "\(a) and \(b) agree on the term at \(top) but not the hash", sourceLocation: sourceLocation)
                for index in stride(from: top, through: low, by: -1) {
                    #expect(na.term(at: index) == nb.term(at: index), "\(a) and \(b) match at \(top) but differ at \(index)", sourceLocation: sourceLocation)
                    if index > low {
                        #expect(na.entry(at: index) == nb.entry(at: index), "\(a) and \(b) hold different entries at \(index)", sourceLocation: sourceLocation)
                    }
                }
            }
        }
    }

    func events(of id: NodeID) -> [RaftEvent] { events[id] ?? [] }

    /// Who announced leadership in each term, from every node's events.
    func leadersByTerm() -> [UInt64: Set<NodeID>] {
        var result: [UInt64: Set<NodeID>] = [:]
        for (id, list) in events {
            for case .roleChanged(_, .leader, let term) in list { result[term, default: []].insert(id) }
        }
        return result
    }

    /// Whether any node applied an entry carrying `text`.
    func anyNodeApplied(_ text: String) -> Bool {
        appliedEntries.values.contains { $0.kind == .normal && $0.text == text }
    }
    func readStates(of id: NodeID) -> [ReadState] { readStates[id] ?? [] }

    /// Messages sent so far, optionally only those from/to a node and of a kind (`Message.Body.name`).
    func sent(from: NodeID? = nil, to: NodeID? = nil, _ name: String? = nil) -> [Message] {
        sent.filter { m in
            (from == nil || m.from == from) && (to == nil || m.to == to) && (name == nil || m.body.name == name)
        }
    }

    /// The number of messages sent so far; pass it to `sent(since:)` to see what came after.
    var sentCount: Int { sent.count }

    func sent(since mark: Int) -> [Message] { Array(sent[mark...]) }
}

extension Message {
    /// Election traffic: (pre-)vote requests and their answers.
    var isElection: Bool {
        switch body {
        case .preVote, .preVoteResponse, .vote, .voteResponse: true
        default: false
        }
    }

    var isGrantedVote: Bool {
        if case .voteResponse(true) = body { return true }
        return false
    }

    var isGrantedPreVote: Bool {
        if case .preVoteResponse(true) = body { return true }
        return false
    }

    /// The entries an append carries (empty for other messages).
    var entries: [Entry] {
        if case .append(_, _, let entries, _) = body { return entries }
        return []
    }
}

extension Entry {
    var text: String { String(decoding: data, as: UTF8.self) }
}
