import NodeCore
import RaftCore
import TaskQueue

/// A few `NodeCore`s wired by hand: the test ticks them, messages and forwarded reports
/// reach their peers within the same round unless a link is cut, and every output is kept
/// for the test to inspect. Deterministic: no clock, no threads.
struct CoreCluster {
    var cores: [NodeID: NodeCore] = [:]
    var stores: [NodeID: FlakyStore] = [:]
    let ids: [NodeID]
    /// Nodes whose links are all cut.
    var isolated: Set<NodeID> = []
    /// What each node's `process()` returned, in order.
    var outputs: [NodeID: [NodeOutput]] = [:]
    var nowMs: UInt64 = 1_000_000
    /// Ticks that ran.
    var rounds = 0
    /// Lets leaders send their appends before storing the batch, as the node runtime does.
    var sendAhead = false
    /// The node whose output is being carried out, and whether anything reached another node.
    var carrying: NodeID = ""
    var moved = false
    /// When set, snapshots from the leader wait in `installs` until the test hands them back
    /// (`completeInstall`), as a host decoding them off the loop would; otherwise they are
    /// decoded and handed back at once.
    var holdInstalls = false
    var installs: [NodeID: [SnapshotInstallJob]] = [:]

    init(_ count: Int, slots: Int = 2, configure: (inout NodeCoreConfig) -> Void = { _ in }) {
        ids = (1...count).map { "n\($0)" }
        let members = Membership(ids.map {
            Member(id: $0, isVoter: true, address: MemberAddress(raft: "test://\($0)", admin: "admin://\($0)", slots: slots).encoded)
        })
        for (k, id) in ids.enumerated() {
            var rc = RaftConfig(id: id)
            rc.electionTicks = 10
            rc.heartbeatTicks = 2
            rc.randomSeed = UInt64(k + 1)
            rc.trapOnInvariantViolation = false
            var config = NodeCoreConfig(raft: rc)
            config.housekeepingTicks = 2
            config.timeoutSweepTicks = 10
            configure(&config)
            let store = FlakyStore()
            stores[id] = store
            cores[id] = try! NodeCore(config: config, store: store, restoring: PersistentState(hardState: HardState()), bootstrap: members)
        }
    }

    var leader: NodeID? { ids.filter { cores[$0]!.isLeader && !isolated.contains($0) }.max { cores[$0]!.raft.term < cores[$1]!.raft.term } }

    /// Every node's output since the test last looked, flattened.
    func all(_ id: NodeID) -> [NodeOutput] { outputs[id] ?? [] }

    /// One round: every node ticks and processes; whatever it sends is delivered before the next node runs.
    mutating func round() {
        rounds += 1
        nowMs += 10
        for id in ids { cores[id]!.tick(nowMs: nowMs) }
        settle()
    }

    /// Processes every node until no message is left in flight.
    mutating func settle() {
        for _ in 0..<50 {
            moved = false
            for id in ids {
                var ahead: [Message] = []
                let out = sendAhead ? cores[id]!.process(sendAhead: { ahead += $0 }) : cores[id]!.process()
                guard !out.isEmpty || !ahead.isEmpty else { continue }
                outputs[id, default: []].append(out)
                carrying = id
                send(ahead)
                out.carryOut(on: &self)
            }
            if !moved { return }
        }
    }

    /// Runs rounds until `condition` holds; false after `limit` rounds.
    mutating func run(upTo limit: Int, until condition: (CoreCluster) -> Bool) -> Bool {
        for _ in 0..<limit {
            if condition(self) { return true }
            round()
        }
        return condition(self)
    }

    /// Hands `id`'s oldest held snapshot back decoded, then lets the cluster settle; returns
    /// whether the core took it.
    @discardableResult
    mutating func completeInstall(_ id: NodeID) -> Bool {
        guard var held = installs[id], !held.isEmpty else { return false }
        let job = held.removeFirst()
        installs[id] = held
        let taken = cores[id]!.snapshotDecoded(job.decode())
        settle()
        return taken
    }

    mutating func elect() -> NodeID {
        _ = run(upTo: 200) { $0.leader != nil }
        return leader!
    }
}

/// The test cluster as a node's host, through the same `NodeOutput.carryOut` as the runtime:
/// messages and forwarded reports reach their peers at once unless a link is cut, a due
/// snapshot is encoded at once, one from the leader decoded at once (or held); the rest stays in `outputs` for the test to inspect.
extension CoreCluster: NodeOutputHost {
    mutating func send(_ messages: [Message]) {
        for m in messages where !isolated.contains(carrying) && !isolated.contains(m.to) {
            cores[m.to]?.receive(m)
            moved = true
        }
    }

    mutating func forward(_ command: Command, to leader: NodeID) {
        guard !isolated.contains(carrying), !isolated.contains(leader) else { return }
        try? cores[leader]?.propose(command, token: nil)
        moved = true
    }

    mutating func encodeSnapshot(_ job: SnapshotJob) {
        cores[carrying]!.snapshotEncoded(index: job.index, data: job.encode())
        moved = true
    }

    mutating func decodeSnapshot(_ job: SnapshotInstallJob) {
        if holdInstalls {
            installs[carrying, default: []].append(job)
        } else {
            cores[carrying]!.snapshotDecoded(job.decode())
            moved = true
        }
    }

    func restoredSnapshot() {}
    func applied(_ entry: AppliedEntry) {}
    func settled(_ token: UInt64, _ result: Result<[Effect], NodeRefusal>) {}
    func readsReady(_ tokens: [UInt64]) {}
    func stopTasks(_ tasks: [TaskID]) {}
    func startTasks(_ tasks: [TaskRecord]) {}
    func event(_ event: CoreEvent) {}
    func fatal(_ reason: String) {}
}
