import RaftCore
import TaskQueue

/// What a host does with each part of a `NodeOutput`. The node runtime (through
/// `NodeOutput.Actions`), the simulator and the test cluster conform; `NodeOutput.carryOut`
/// keeps the one order they all follow.
public protocol NodeOutputHost {
    /// Raft messages, safe to send: what they depend on is stored.
    mutating func send(_ messages: [Message])
    /// The task queue was replaced by a snapshot from the leader (the entries applied in the
    /// same output come after it).
    mutating func restoredSnapshot()
    /// An entry applied, with its effects.
    mutating func applied(_ entry: AppliedEntry)
    /// A proposal's outcome, by the host's token.
    mutating func settled(_ token: UInt64, _ result: Result<[Effect], NodeRefusal>)
    /// Linearizable reads that may now be answered from the task queue.
    mutating func readsReady(_ tokens: [UInt64])
    mutating func stopTasks(_ tasks: [TaskID])
    mutating func startTasks(_ tasks: [TaskRecord])
    /// A worker's report for the leader to propose.
    mutating func forward(_ command: Command, to leader: NodeID)
    mutating func event(_ event: CoreEvent)
    /// A snapshot is due: encode it away from the loop and hand it back (`NodeCore.snapshotEncoded`).
    mutating func encodeSnapshot(_ job: SnapshotJob)
    /// A snapshot from the leader arrived whole: decode it and write its file away from the loop
    /// and hand it back (`NodeCore.snapshotDecoded`); the leader hears of it only then.
    mutating func decodeSnapshot(_ job: SnapshotInstallJob)
    /// Storage failed for good: the host stops the node.
    mutating func fatal(_ reason: String)
}

extension NodeOutput {
    /// Carries out this output on `host` in the order every host keeps: messages first, then a
    /// snapshot restored from the leader, what applied on top of it, the proposals and reads it
    /// settles, the workers' stops before their starts, reports to forward, events, a snapshot
    /// to encode, one from the leader to decode, and a fatal storage failure last.
    public func carryOut<Host: NodeOutputHost>(on host: inout Host) {
        if !messages.isEmpty { host.send(messages) }
        if restoredSnapshot { host.restoredSnapshot() }
        for entry in applied { host.applied(entry) }
        for (token, result) in settled { host.settled(token, result) }
        if !reads.isEmpty { host.readsReady(reads) }
        if !stop.isEmpty { host.stopTasks(stop) }
        if !start.isEmpty { host.startTasks(start) }
        for (command, leader) in forward { host.forward(command, to: leader) }
        for e in events { host.event(e) }
        if let encode { host.encodeSnapshot(encode) }
        if let install { host.decodeSnapshot(install) }
        if let fatal { host.fatal(fatal) }
    }

    /// A host made of closures, for a host that is a reference (the node runtime's driver actor
    /// fills it in on its own executor); every part does nothing unless set.
    public struct Actions: NodeOutputHost {
        public var onSend: ([Message]) -> Void = { _ in }
        public var onRestoredSnapshot: () -> Void = {}
        public var onApplied: (AppliedEntry) -> Void = { _ in }
        public var onSettled: (UInt64, Result<[Effect], NodeRefusal>) -> Void = { _, _ in }
        public var onReadsReady: ([UInt64]) -> Void = { _ in }
        public var onStopTasks: ([TaskID]) -> Void = { _ in }
        public var onStartTasks: ([TaskRecord]) -> Void = { _ in }
        public var onForward: (Command, NodeID) -> Void = { _, _ in }
        public var onEvent: (CoreEvent) -> Void = { _ in }
        public var onEncodeSnapshot: (SnapshotJob) -> Void = { _ in }
        public var onDecodeSnapshot: (SnapshotInstallJob) -> Void = { _ in }
        public var onFatal: (String) -> Void = { _ in }

        public init() {}

        public func send(_ messages: [Message]) { onSend(messages) }
        public func restoredSnapshot() { onRestoredSnapshot() }
        public func applied(_ entry: AppliedEntry) { onApplied(entry) }
        public func settled(_ token: UInt64, _ result: Result<[Effect], NodeRefusal>) { onSettled(token, result) }
        public func readsReady(_ tokens: [UInt64]) { onReadsReady(tokens) }
        public func stopTasks(_ tasks: [TaskID]) { onStopTasks(tasks) }
        public func startTasks(_ tasks: [TaskRecord]) { onStartTasks(tasks) }
        public func forward(_ command: Command, to leader: NodeID) { onForward(command, leader) }
        public func event(_ event: CoreEvent) { onEvent(event) }
        public func encodeSnapshot(_ job: SnapshotJob) { onEncodeSnapshot(job) }
        public func decodeSnapshot(_ job: SnapshotInstallJob) { onDecodeSnapshot(job) }
        public func fatal(_ reason: String) { onFatal(reason) }
    }
}
