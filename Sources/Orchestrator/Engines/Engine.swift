import FlotillaAPI
import Foundation
import HistoryCheck

/// What the control plane asks of a Raft implementation, so the same verbs, the same snapshot
/// and the same history check work on Flotilla's node and on etcd: process control of its
/// members, one observation per poll, membership through a learner, leadership transfer, a client
/// workload the history checker judges, and which operator commands it can take at all.
///
/// A command an engine cannot take is refused before anything is done, with a one-line reason
/// (`refusal(_:)`), so the console and the CLI say why instead of failing half-way.
public protocol Engine: AnyObject, Sendable {
    /// `flotilla` or `etcd`: names the engine in refusals, events and transcripts.
    var kind: String { get }
    /// Where the engine's actions are reported, with their outcome.
    var events: EventSink { get }

    /// Whether the members are processes this machine launched (signals reach them).
    var launchedHere: Bool { get }

    /// One polling round: every member's role, term, leader, commit, applied and peers.
    func snapshot() async -> ClusterSnapshot

    /// A snapshot about every `interval` until the consumer stops (the console's feed).
    func snapshots(every interval: Duration) -> AsyncStream<ClusterSnapshot>

    // MARK: Processes

    /// Ends a member at once, as SIGKILL does.
    func kill(_ member: String) async throws
    /// Stops a member if it runs, and starts it again on its data.
    func restart(_ member: String) async throws
    /// Freezes a member, as SIGSTOP does: its sockets stay open, it answers nothing.
    func pause(_ member: String) async throws
    /// Thaws a paused member.
    func resume(_ member: String) async throws

    // MARK: Membership and leadership

    /// Starts a new member and adds it as a learner (no vote); returns its name.
    func addLearner() async throws -> String
    /// Gives a caught-up learner its vote (waiting, bounded, until it has caught up).
    func promote(_ member: String) async throws
    /// Takes a member out of the membership (leadership moves away first); its process ends.
    func remove(_ member: String) async throws
    /// Grows or shrinks the membership one member at a time; the members added or removed.
    func scale(_ change: ScaleChange, purge: Bool) async throws -> [String]
    /// Hands leadership to `member`, or (nil) to another voter; returns who leads afterwards.
    @discardableResult
    func transfer(to member: String?) async throws -> String

    /// Takes a member out, deletes its data and brings it back empty under the same name, as a
    /// learner that catches up and is promoted (etcd's rule for a member whose data is gone).
    func replace(_ member: String) async throws

    // MARK: Storage

    /// Makes the disk under `target` slow, full or healthy again; what was done, in words.
    func disk(_ target: NodeTarget, _ fault: DiskFault) async throws -> String

    // MARK: Network

    /// Cuts the network into `shape` (the cuts replace every cut in force); the plan as it reads.
    /// Flotilla's node takes it in its own filter, or in the kernel when its nodes run in a
    /// namespace lab; etcd only in the kernel.
    func partition(_ shape: PartitionShape) async throws -> String
    /// Clears every cut and loss, and verifies (within `timeout`) that nothing is left and the
    /// leader hears every member again.
    func heal(timeout: Duration) async -> HealReport
    /// Drops `share` of the frames on `links` (0 clears them).
    func loss(_ links: LinkTarget, _ share: Share) async throws
    /// Undoes the cuts on `links` only; the other cuts, loss and delays stay. What was removed
    /// and what stays, in one line.
    func mend(_ links: LinkTarget) async throws -> String
    /// Holds the frames on `links` back `delay` ± `jitter` (0 and 0 clear it): the node's filter,
    /// or NFQUEUE in a namespace lab.
    func delay(_ links: LinkTarget, _ delay: TimeSpan, jitter: TimeSpan) async throws
    /// Holds `share` of the frames on `links` back behind later ones (0 clears it).
    func reorder(_ links: LinkTarget, _ share: Share) async throws

    // MARK: Workload

    /// Runs a client workload of writes and linearizable reads for `duration` and returns its
    /// history, which `ClientHistory.check` judges.
    func workload(for duration: Duration) async throws -> [HistoryOperation]

    /// How a load (`load on`, the console's `l`) writes keys to this engine and reads them back.
    func loadClient() -> any LoadClient

    /// Why this engine cannot take `command` here, in one line, or nil when it can.
    func refusal(_ command: OperatorCommand) -> String?

    // MARK: Panic

    /// What the operator meant (members stopped or paused on purpose, the recovery mode), which
    /// recovery respects and panic sets to advise.
    var intents: IntentStore { get }
    /// Whether `heal` also empties a full disk (Flotilla's node: its disk fault is one of the
    /// rules heal clears); where it does not (etcd's tmpfs), panic and chaos empty disks themselves.
    var healEmptiesDisks: Bool { get }
    /// Stops a load another process runs on this cluster (`flotilla load`); what it stopped, or nil.
    func stopLoadElsewhere() -> String?

    /// Closes the engine's clients (the members keep running).
    func shutdown() async
}

extension Engine {
    /// Polls `snapshot()` every `interval`, from a task that ends when the stream does.
    public func snapshots(every interval: Duration) -> AsyncStream<ClusterSnapshot> {
        AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let poller = Task {
                while !Task.isCancelled {
                    continuation.yield(await self.snapshot())
                    try? await Task.sleep(for: interval)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in poller.cancel() }
        }
    }

    /// Whether this engine can take `command` here.
    public func supports(_ command: OperatorCommand) -> Bool { refusal(command) == nil }

    /// Polls until `condition` holds or `timeout` passes; the last snapshot, and whether it held.
    public func wait(for timeout: Duration, every interval: Duration = .milliseconds(100),
                     until condition: (ClusterSnapshot) -> Bool) async -> (ClusterSnapshot, Bool) {
        await Poll.latest(timeout, every: interval, read: { await snapshot() }, until: condition)
    }

    /// Grows or shrinks to `change` with the engine's own steps: learners that are promoted to
    /// add, `remove` to take away (a learner first, else the newest follower, never the leader
    /// while another member can go).
    func scaleByMembers(_ change: ScaleChange) async throws -> [String] {
        var changed: [String] = []
        func removeOne() async throws {
            let s = await snapshot()
            guard s.members.count > 1 else { throw OrchestratorError("cannot scale below one member") }
            let learners = s.members.filter { !$0.voter }.map(\.id)
            let followers = s.members.filter { $0.voter && $0.id != s.leader?.id }.map(\.id)
            guard let victim = (learners.sorted(by: idOrder).last ?? followers.sorted(by: idOrder).last) else {
                throw OrchestratorError("no member to remove but the leader")
            }
            try await remove(victim)
            changed.append(victim)
        }
        switch change {
        case .add(let k):
            for _ in 0..<k {
                let name = try await addLearner()
                try await promote(name)
                changed.append(name)
            }
        case .remove(let k):
            for _ in 0..<k { try await removeOne() }
        case .removeNode(let id):
            try await remove(id)
            changed.append(id)
        case .to(let size):
            var count = await snapshot().members.count
            while count < size {
                let name = try await addLearner()
                try await promote(name)
                changed.append(name)
                count += 1
            }
            while count > size {
                try await removeOne()
                count -= 1
            }
        }
        return changed
    }
}
