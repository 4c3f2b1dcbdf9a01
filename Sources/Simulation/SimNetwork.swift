import BinaryCoding
import RaftCore
import TaskQueue

/// What travels on the simulated network.
enum Payload: Sendable {
    case raft(Message)
    /// A node forwards a task-queue command (a worker's report, a client submit) to the leader.
    case forward(Command, request: UInt64?)
    /// A client request reaching a node.
    case clientSubmit(key: String, request: UInt64)
    /// A node's answer to a client.
    case clientReply(request: UInt64, outcome: ClientOutcome)
}

enum ClientOutcome: Sendable, Equatable {
    case acknowledged(TaskID)
    case notLeader(hint: NodeID?)
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

/// A seeded network: per-message delay, loss, duplication and reordering, plus the
/// directed links a partition cuts. The client is reachable from every node.
struct SimNetwork: Sendable {
    static let client: Endpoint = -1
    static let nowhere: Endpoint = -2

    var rng: SplitMix64
    var queue = PacketQueue()
    var seq: UInt64 = 0
    /// Directed links that drop everything: (from, to).
    private(set) var cut: Set<Link> = []
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

    mutating func send(from: Endpoint, epoch: Int = 0, to: Endpoint, now: UInt64, _ payload: Payload) {
        if isCut(from, to) { return }
        let involvesClient = from == SimNetwork.client || to == SimNetwork.client
        if lossy, !involvesClient, rng.chance(dropRate) { return }
        let copies = lossy && !involvesClient && rng.chance(duplicateRate) ? 2 : 1
        for _ in 0..<copies {
            seq += 1
            let delay = UInt64(1 + rng.below(min(max(1, maxDelay), 60)))
            queue.push(Packet(from: from, epoch: epoch, to: to, deliverAt: now + delay, seq: seq, payload: payload))
        }
    }

    /// Removes and returns the packets due at `now`, in send order.
    mutating func due(now: UInt64) -> [Packet] { queue.take(at: now) }

    mutating func heal() { cut = [] }

    /// Drops everything `from` sends to `to` until the next heal.
    mutating func cut(from: Endpoint, to: Endpoint) { cut.insert(Link(from: from, to: to)) }
}

/// Packets bucketed by delivery tick in a small ring (delays are a few ticks), each bucket
/// in send order: deterministic, and far cheaper than a heap of large values.
struct PacketQueue: Sendable {
    private var buckets: [[Packet]] = Array(repeating: [], count: 64)
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func push(_ p: Packet) {
        buckets[Int(p.deliverAt % 64)].append(p)
        count += 1
    }

    /// Removes and returns every packet due at `tick`, in send order.
    mutating func take(at tick: UInt64) -> [Packet] {
        let i = Int(tick % 64)
        guard !buckets[i].isEmpty else { return [] }
        var due: [Packet] = []
        swap(&due, &buckets[i])
        count -= due.count
        return due
    }
}
