import BinaryCoding
import RaftCore
import TaskQueue

/// The simulated client: submits tasks with idempotency keys, follows leader hints,
/// retries on silence with the same key, and remembers what was acknowledged.
struct SimClient: Sendable {
    var rng: SplitMix64
    let submitsPer100Ticks: Int
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
    static let timeout: UInt64 = 60
    static let maxInflight = 8

    init(rng: SplitMix64, submitsPer100Ticks: Int) {
        self.rng = rng
        self.submitsPer100Ticks = submitsPer100Ticks
    }

    /// The submits to send this tick.
    mutating func tick(now: UInt64, nodes: [NodeID]) -> [(to: NodeID, key: String, request: UInt64)] {
        guard !nodes.isEmpty else { return [] }
        if submitting, rng.below(100) < submitsPer100Ticks {
            nextKey += 1
            toSend.append("k\(nextKey)")
        }
        for (request, op) in inflight.sorted(by: { $0.key < $1.key }) where op.sentAt + SimClient.timeout <= now {
            inflight[request] = nil
            leaderGuess = nil
            toSend.append(op.key)
        }
        var out: [(NodeID, String, UInt64)] = []
        while inflight.count < SimClient.maxInflight, !toSend.isEmpty {
            let key = toSend.removeFirst()
            if acknowledged[key] != nil { continue }
            let target = leaderGuess.flatMap { nodes.contains($0) ? $0 : nil } ?? nodes[rng.below(nodes.count)]
            nextRequest += 1
            inflight[nextRequest] = (key, now)
            out.append((target, key, nextRequest))
        }
        return out
    }

    /// Records a reply; returns a complaint when one key was acknowledged with two task ids.
    mutating func receive(request: UInt64, outcome: ClientOutcome, now: UInt64) -> String? {
        guard let op = inflight.removeValue(forKey: request) else { return nil }
        switch outcome {
        case .acknowledged(let task):
            defer { acknowledged[op.key] = task }
            if let earlier = acknowledged[op.key], earlier != task {
                return "key \(op.key) acknowledged as \(earlier) and as \(task)"
            }
        case .notLeader(let hint):
            leaderGuess = hint
            toSend.append(op.key)
        }
        return nil
    }

    /// Keys submitted but never acknowledged (their outcome is unknown).
    var unresolved: Int { inflight.count + toSend.count }
}
