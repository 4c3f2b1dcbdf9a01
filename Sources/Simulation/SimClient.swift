import BinaryCoding
import ClusterRules
import RaftCore
import TaskQueue

/// The simulated client: submits tasks with idempotency keys, follows leader hints, retries on
/// silence with the same key, and remembers what was acknowledged. It also reads: which task
/// holds a key, through a node's linearizable read (ReadIndex), and checks each answer against
/// what it knew when the read began.
struct SimClient: Sendable {
    var rng: SplitMix64
    let submitsPer100Ticks: Int
    let readsPer100Ticks: Int
    var submitting = true
    var nextKey = 0
    var nextRequest: UInt64 = 0
    var leaderGuess: NodeID?
    /// In-flight requests: request -> (key, sent at).
    var inflight: [UInt64: (key: String, sentAt: UInt64)] = [:]
    /// Keys waiting to be (re)sent.
    var toSend: [String] = []
    /// Acknowledged keys and the task id each got.
    var acknowledged: [String: TaskID] = [:]
    /// In-flight reads: request -> (key, sent at, the task the answer must name, if known then).
    var reads: [UInt64: (key: String, sentAt: UInt64, mustSee: TaskID?)] = [:]
    /// The task a completed read (or an acknowledgement) showed for each key: later reads must see it too.
    var seen: [String: TaskID] = [:]
    /// Reads answered and held against something known before they began.
    var readsChecked = 0
    static let timeout: UInt64 = 60
    static let maxInflight = 8
    static let maxReads = 4

    init(rng: SplitMix64, submitsPer100Ticks: Int, readsPer100Ticks: Int = 0) {
        self.rng = rng
        self.submitsPer100Ticks = submitsPer100Ticks
        self.readsPer100Ticks = readsPer100Ticks
    }

    typealias Send = (to: NodeID, key: String, request: UInt64)

    /// The submits and reads to send this tick.
    mutating func tick(now: UInt64, nodes: [NodeID]) -> (submits: [Send], reads: [Send]) {
        guard !nodes.isEmpty else { return ([], []) }
        if submitting, rng.below(100) < submitsPer100Ticks {
            nextKey += 1
            toSend.append("k\(nextKey)")
        }
        for (request, op) in inflight.sorted(by: { $0.key < $1.key }) where op.sentAt + SimClient.timeout <= now {
            inflight[request] = nil
            leaderGuess = nil
            toSend.append(op.key)
        }
        // A read that loses its leader never comes back: given up, not retried.
        for (request, op) in reads.sorted(by: { $0.key < $1.key }) where op.sentAt + SimClient.timeout <= now {
            reads[request] = nil
        }
        var submits: [Send] = []
        while inflight.count < SimClient.maxInflight, !toSend.isEmpty {
            let key = toSend.removeFirst()
            if acknowledged[key] != nil { continue }
            nextRequest += 1
            inflight[nextRequest] = (key, now)
            submits.append((target(nodes), key, nextRequest))
        }
        var out: [Send] = []
        if nextKey > 0, reads.count < SimClient.maxReads, rng.below(100) < readsPer100Ticks {
            // Mostly recent keys, where a stale answer shows; any key now and then.
            let key = "k\(rng.chance(0.7) ? max(1, nextKey - rng.below(10)) : 1 + rng.below(nextKey))"
            nextRequest += 1
            reads[nextRequest] = (key, now, seen[key])
            // Now and then to any node, as a client that does not know the leader would.
            out.append((rng.chance(0.3) ? nodes[rng.below(nodes.count)] : target(nodes), key, nextRequest))
        }
        return (submits, out)
    }

    mutating func target(_ nodes: [NodeID]) -> NodeID {
        leaderGuess.flatMap { nodes.contains($0) ? $0 : nil } ?? nodes[rng.below(nodes.count)]
    }

    /// Records a reply; returns the rule broken and how, when an answer contradicts what the
    /// client knew: one key acknowledged with two task ids, or a read that misses a write
    /// acknowledged (or a task another read saw) before it began.
    mutating func receive(request: UInt64, outcome: ClientOutcome, now: UInt64) -> (SafetyRule, String)? {
        if let read = reads.removeValue(forKey: request) {
            switch outcome {
            case .read(let found):
                if let must = read.mustSee {
                    readsChecked += 1
                    if found != must {
                        return (.staleRead, "a read of key \(read.key) sent at tick \(read.sentAt) returned "
                            + "\(found.map { "\($0)" } ?? "no task"), but \(must) held it before the read began")
                    }
                }
                if let found, seen[read.key] == nil { seen[read.key] = found }
            case .notLeader(let hint):
                leaderGuess = hint
            case .acknowledged:
                break
            }
            return nil
        }
        guard let op = inflight.removeValue(forKey: request) else { return nil }
        switch outcome {
        case .acknowledged(let task):
            defer {
                acknowledged[op.key] = task
                if seen[op.key] == nil { seen[op.key] = task }
            }
            if let earlier = acknowledged[op.key], earlier != task {
                return (.duplicateSubmit, "key \(op.key) acknowledged as \(earlier) and as \(task)")
            }
        case .notLeader(let hint):
            leaderGuess = hint
            toSend.append(op.key)
        case .read:
            break
        }
        return nil
    }

    /// Keys submitted but never acknowledged (their outcome is unknown).
    var unresolved: Int { inflight.count + toSend.count }
}
