import BinaryCoding
import HistoryCheck

/// Times the linearizability checker on generated honest histories: `clients` concurrent
/// clients submitting keys and reading the set, every operation taking effect at a random
/// instant between its call and its return, as a correct cluster would.
public struct CheckBenchmark: Sendable {
    public var operations: Int
    public var clients: Int
    /// Every `readEvery`th operation is a read.
    public var readEvery: Int
    public var seed: UInt64

    public init(operations: Int, clients: Int = 16, readEvery: Int = 4, seed: UInt64 = 1) {
        self.operations = operations
        self.clients = clients
        self.readEvery = max(1, readEvery)
        self.seed = seed
    }

    public struct Result: Sendable {
        public var operations: Int
        public var seconds: Double
        public var verdict: Verdict
        public var opsPerSecond: Double { Double(operations) / max(seconds, 1e-9) }
    }

    /// A linearizable history: each client runs its operations back to back with random
    /// lengths and gaps; the set changes at each add's chosen instant.
    public func history() -> [HistoryOperation] {
        var rng = SplitMix64(seed: seed)
        var clock = [Int64](repeating: 0, count: clients)
        struct Planned { var op: HistoryOperation; var at: Int64 }
        var planned: [Planned] = []
        for i in 0..<operations {
            let c = rng.below(clients)
            let call = clock[c] + Int64(rng.below(2_000_000))
            let ret = call + 100_000 + Int64(rng.below(20_000_000))
            clock[c] = ret
            let at = call + Int64(rng.below(Int(ret - call)))
            let kind: HistoryOperation.Kind = (i + 1) % readEvery == 0 ? .read(keys: []) : .add(key: "k\(i)")
            planned.append(Planned(op: HistoryOperation(client: c, call: call, ret: ret, kind: kind), at: at))
        }
        // Replay the effects in the order of their instants to fill in what each read saw.
        var present = Set<String>()
        for i in planned.indices.sorted(by: { planned[$0].at < planned[$1].at }) {
            switch planned[i].op.kind {
            case .add(let key): present.insert(key)
            case .read: planned[i].op.kind = .read(keys: present)
            case .put, .get: break  // the benchmark plans only adds and reads
            }
        }
        return planned.map(\.op)
    }

    public func run() -> Result {
        let h = history()
        let clock = ContinuousClock()
        let start = clock.now
        let verdict = ClientHistory.check(h, within: .seconds(60))
        let d = clock.now - start
        return Result(operations: h.count, seconds: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18, verdict: verdict)
    }
}
