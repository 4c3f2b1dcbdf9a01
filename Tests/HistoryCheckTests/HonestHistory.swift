import BinaryCoding
import HistoryCheck

/// Histories of a real grow-only set: every operation takes effect at one instant between its
/// call and return, and every read returns exactly the keys added before its instant. Such a
/// history is linearizable by construction, however its operations overlap.
struct HonestHistory {
    var operations: [HistoryOperation] = []
    /// Per operation, the instant it took effect; nil when it never did.
    private var instants: [Int64?] = []

    /// `count` operations by `clients` clients, each running one operation at a time (an
    /// operation that never returns does not hold its client up). Clients' times never coincide.
    init(seed: UInt64, count: Int, clients: Int, readPercent: Int, longest: Int64 = 300) {
        var random = SplitMix64(seed: seed)
        var clocks = (0..<clients).map { _ in random.next(in: 0...50) }
        var keys: [String] = []
        for _ in 0..<count {
            let client = Int(random.next(in: 0...Int64(clients - 1)))
            let start = clocks[client] + random.next(in: 1...20)
            let length = random.next(in: 1...longest)
            clocks[client] = start + length
            let (call, ret) = (start * 16 + Int64(client), (start + length) * 16 + Int64(client))
            let roll = random.next(in: 0...99)
            let kind: HistoryOperation.Kind
            if roll < readPercent {
                kind = .read(keys: [])
            } else if !keys.isEmpty && random.chance(percent: 20) {
                kind = .add(key: keys[Int(random.next(in: 0...Int64(keys.count - 1)))])
            } else {
                keys.append("s\(seed)-\(keys.count)")
                kind = .add(key: keys[keys.count - 1])
            }
            switch random.next(in: 0...99) {
            case 0..<5 where roll >= readPercent:
                operations.append(HistoryOperation(client: client, call: call, ret: ret, kind: kind, outcome: .fail))
                instants.append(nil)
            case 5..<10:
                operations.append(HistoryOperation(client: client, call: call, ret: nil, kind: kind, outcome: .unknown))
                instants.append(random.chance(percent: 50) ? random.next(in: call...(call + 3 * (ret - call))) : nil)
            default:
                operations.append(HistoryOperation(client: client, call: call, ret: ret, kind: kind))
                instants.append(random.next(in: call...ret))
            }
        }
        fillReads()
    }

    /// Gives every read the keys added before its instant (adds first at equal instants).
    private mutating func fillReads() {
        let ops = operations
        let instants = instants
        let order = { (i: Int) -> (Int64, Int, Int) in
            guard case .add = ops[i].kind else { return (instants[i]!, 1, i) }
            return (instants[i]!, 0, i)
        }
        let effective = ops.indices.filter { instants[$0] != nil }.sorted { order($0) < order($1) }
        var present = Set<String>()
        for i in effective {
            switch operations[i].kind {
            case .add(let key): present.insert(key)
            case .read: operations[i].kind = .read(keys: present)
            case .put, .get: break  // honest task-set histories hold adds and reads only
            }
        }
    }

    /// Makes one read definitely stale: drops from it a key whose add returned OK before the
    /// read was called. Returns the read's index and the key, or nil when no read qualifies.
    mutating func corruptOneRead(seed: UInt64) -> (read: Int, key: String)? {
        var candidates: [(read: Int, key: String)] = []
        for (i, op) in operations.enumerated() {
            guard case .read(let keys) = op.kind, op.outcome == .ok else { continue }
            for other in operations where other.outcome == .ok && other.ret! < op.call {
                if case .add(let key) = other.kind, keys.contains(key) { candidates.append((i, key)) }
            }
        }
        guard !candidates.isEmpty else { return nil }
        var random = SplitMix64(seed: seed)
        let chosen = candidates[Int(random.next(in: 0...Int64(candidates.count - 1)))]
        guard case .read(var keys) = operations[chosen.read].kind else { return nil }
        keys.remove(chosen.key)
        operations[chosen.read].kind = .read(keys: keys)
        return chosen
    }
}
