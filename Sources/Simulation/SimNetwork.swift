import BinaryCoding
import NodeCore
import RaftCore
import TaskQueue

/// What travels on the simulated network.
enum Payload: Sendable {
    case raft(Message)
    /// A node forwards a task-queue command (a worker's report, a client submit) to the leader.
    case forward(Command, request: UInt64?)
    /// A client request reaching a node.
    case clientSubmit(key: String, request: UInt64)
    /// A client's linearizable read: which task, if any, holds idempotency key `key`.
    case clientRead(key: String, request: UInt64)
    /// A node's answer to a client.
    case clientReply(request: UInt64, outcome: ClientOutcome)
    /// A founder on empty storage asks another founder about itself (the runtime's `GET /v1/status`).
    case founderAsk
    /// The answer: empty with its address, or the membership it holds, as of when it answered.
    case founderReport(FounderCheck.Report)
}

enum ClientOutcome: Sendable, Equatable {
    case acknowledged(TaskID)
    case notLeader(hint: NodeID?)
    /// A read's answer: the task holding the key, or nil when the node's queue has none.
    case read(TaskID?)
}

/// Where a packet comes from or goes: a node's slot in the simulation's `NodeTable`,
/// `SimNetwork.client`, or `SimNetwork.nowhere` (an id no node has; never delivered).
typealias Endpoint = Int

struct Packet: Sendable {
    var from: Endpoint
    /// The sender's process incarnation: a crash resets its connections, and with them what was in flight.
    var epoch: Int
    var to: Endpoint
    var deliverAt: UInt64
    var seq: UInt64
    var payload: Payload
}

/// What a slow or flaky link does to each message between two nodes, on top of the network's
/// own behaviour: the same shape as a live cluster's `PeerTransport.LinkFault`, in ticks.
/// Each message is held back `delay` ± up to `jitter` ticks (never less than the base delay),
/// lost with probability `loss`, sent twice with probability `duplicate`, and with probability
/// `reorder` held back 1...(delay + 2) ticks longer so the messages after it overtake it.
struct LinkFault: Sendable, Equatable, CustomStringConvertible {
    var delay: Int
    var jitter: Int = 0
    var loss: Double = 0
    var duplicate: Double = 0
    var reorder: Double = 0

    /// Extra ticks to hold one message back.
    func hold(using rng: inout SplitMix64) -> Int {
        var ticks = delay
        if jitter > 0 { ticks += rng.below(2 * jitter + 1) - jitter }
        if reorder > 0, rng.chance(reorder) { ticks += 1 + rng.below(delay + 2) }
        return max(0, ticks)
    }

    /// `+8 ticks ±2 loss 0.2 dup 0.1 reorder 0.3`.
    var description: String {
        var parts = ["+\(delay) ticks" + (jitter > 0 ? " ±\(jitter)" : "")]
        if loss > 0 { parts.append("loss \(loss)") }
        if duplicate > 0 { parts.append("dup \(duplicate)") }
        if reorder > 0 { parts.append("reorder \(reorder)") }
        return parts.joined(separator: " ")
    }
}

/// A seeded network: per-message delay, loss, duplication and reordering, plus the
/// directed links a partition cuts and the per-link faults a slow link adds. The client is
/// reachable from every node.
struct SimNetwork: Sendable {
    static let client: Endpoint = -1
    static let nowhere: Endpoint = -2

    var rng: SplitMix64
    var queue = PacketQueue()
    var seq: UInt64 = 0
    /// Directed links that drop everything: (from, to).
    private(set) var cut: Set<Link> = []
    /// Directed links between nodes that are slow or flaky until the next heal: (from, to) -> fault.
    /// Only ever looked up by key, never iterated, so hashing order cannot leak into a run.
    private(set) var linkFaults: [Link: LinkFault] = [:]
    var lossy = true
    var dropRate: Double
    var duplicateRate: Double
    var maxDelay: Int

    struct Link: Hashable, Sendable {
        var from: Endpoint
        var to: Endpoint
    }

    func isCut(_ from: Endpoint, _ to: Endpoint) -> Bool {
        !cut.isEmpty && cut.contains(Link(from: from, to: to))
    }

    /// The longest base delay a message takes, in ticks.
    static let maxBaseDelay = 60

    mutating func send(from: Endpoint, epoch: Int = 0, to: Endpoint, now: UInt64, _ payload: Payload) {
        if isCut(from, to) { return }
        let involvesClient = from == SimNetwork.client || to == SimNetwork.client
        if lossy, !involvesClient, rng.chance(dropRate) { return }
        // Only traffic between two nodes can be on a faulty link; the client's never is.
        let fault = linkFaults.isEmpty || involvesClient ? nil : linkFaults[Link(from: from, to: to)]
        if let fault, fault.loss > 0, rng.chance(fault.loss) { return }
        var copies = lossy && !involvesClient && rng.chance(duplicateRate) ? 2 : 1
        if let fault, fault.duplicate > 0, rng.chance(fault.duplicate) { copies += 1 }
        for _ in 0..<copies {
            seq += 1
            var delay = 1 + rng.below(min(max(1, maxDelay), SimNetwork.maxBaseDelay))
            if let fault { delay += fault.hold(using: &rng) }
            // Beyond the ring's span a packet would land in a bucket due earlier.
            delay = min(delay, PacketQueue.span - 1)
            queue.push(Packet(from: from, epoch: epoch, to: to, deliverAt: now + UInt64(delay), seq: seq, payload: payload))
        }
    }

    /// Removes and returns the packets due at `now`, in send order.
    mutating func due(now: UInt64) -> [Packet] { queue.take(at: now) }

    /// Ends every partition and every link fault.
    mutating func heal() {
        cut = []
        linkFaults = [:]
    }

    /// Makes the link `from` -> `to` slow or flaky until the next heal (replacing what it had).
    mutating func setFault(_ fault: LinkFault, from: Endpoint, to: Endpoint) {
        linkFaults[Link(from: from, to: to)] = fault
    }

    func fault(from: Endpoint, to: Endpoint) -> LinkFault? { linkFaults[Link(from: from, to: to)] }

    /// Drops everything `from` sends to `to` until the next heal.
    mutating func cut(from: Endpoint, to: Endpoint) { cut.insert(Link(from: from, to: to)) }
}

/// Packets bucketed by delivery tick in a ring (delays are at most a few dozen ticks, slow
/// links included), each bucket in send order: deterministic, and far cheaper than a heap of
/// large values. Every packet must be due less than `span` ticks after the tick it is pushed
/// in, or it would share a bucket with an earlier tick's packets.
struct PacketQueue: Sendable {
    /// Ticks the ring covers.
    static let span = 256
    private var buckets: [[Packet]] = Array(repeating: [], count: PacketQueue.span)
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func push(_ p: Packet) {
        buckets[Int(p.deliverAt % UInt64(PacketQueue.span))].append(p)
        count += 1
    }

    /// Removes and returns every packet due at `tick`, in send order.
    mutating func take(at tick: UInt64) -> [Packet] {
        let i = Int(tick % UInt64(PacketQueue.span))
        guard !buckets[i].isEmpty else { return [] }
        var due: [Packet] = []
        swap(&due, &buckets[i])
        count -= due.count
        assert(due.allSatisfy { $0.deliverAt == tick }, "a packet was due at another tick than its bucket's")
        return due
    }
}
