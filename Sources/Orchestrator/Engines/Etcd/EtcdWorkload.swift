import Foundation
import HistoryCheck

/// A client load on etcd for the history checker: a few clients put and get a small set of keys
/// as fast as answers come, and every operation is recorded with its call, its return and its
/// outcome, as `HistoryOperation`s that `KVRegisterModel` judges.
///
/// Each put writes a value no other put writes (`c3-17`: client 3's 17th), so a value read names
/// the put it came from. Each client sticks to one member and moves on to the next when that
/// one fails to answer, so a killed member costs its clients one timeout each. Gets are
/// linearizable (the member checks with the leader) unless `reads` is `.serializable`, which
/// answers from the member's own copy and may be stale: the check then finds it.
///
/// Outcomes: a put that etcd confirmed is ok; one whose connection was refused never reached etcd
/// and failed; any other error leaves it unknown (it may still take effect). A get that did not
/// answer failed (it constrains nothing).
public struct EtcdWorkload: Sendable {
    public enum Reads: String, Sendable {
        case linearizable, serializable
    }

    /// The keys, each a register; a fresh prefix per run keeps earlier runs' values out.
    public var keys: [String]
    public var clients: Int
    public var reads: Reads
    /// The share of operations that are gets.
    public var getShare: Double
    /// How long one request may take before its outcome is unknown.
    public var timeout: Duration

    public init(keys: Int = 4, clients: Int = 4, reads: Reads = .linearizable, getShare: Double = 0.5, timeout: Duration = .seconds(2),
                prefix: String = "flotilla-load-\(UInt32.random(in: 0...UInt32.max))") {
        self.keys = (0..<max(1, keys)).map { "\(prefix)/k\($0)" }
        self.clients = max(1, clients)
        self.reads = reads
        self.getShare = getShare
        self.timeout = timeout
    }

    /// Runs the load against `endpoints` (client addresses) until `duration` passes; the history,
    /// times in ns from the start.
    public func run(_ client: EtcdClient, endpoints: [String], for duration: Duration) async -> [HistoryOperation] {
        guard !endpoints.isEmpty else { return [] }
        let clock = ContinuousClock()
        let origin = clock.now
        let end = origin + duration
        let ns: @Sendable (ContinuousClock.Instant) -> Int64 = { t in
            let d = t - origin
            return d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
        }
        return await withTaskGroup(of: [HistoryOperation].self) { group in
            for c in 0..<clients {
                group.addTask {
                    var out: [HistoryOperation] = []
                    var endpoint = c % endpoints.count
                    var seq = 0
                    while clock.now < end, !Task.isCancelled {
                        let key = keys.randomElement()!
                        let address = endpoints[endpoint]
                        let call = clock.now
                        var answered = true
                        if Double.random(in: 0..<1) < getShare {
                            do {
                                let value = try await client.get(address, key: key, serializable: reads == .serializable, timeout: timeout)
                                out.append(HistoryOperation(client: c, call: ns(call), ret: ns(clock.now), kind: .get(key: key, value: value)))
                            } catch {
                                answered = (error as? EtcdError)?.status != nil
                                out.append(HistoryOperation(client: c, call: ns(call), ret: ns(clock.now), kind: .get(key: key, value: nil),
                                                            outcome: .fail))
                            }
                        } else {
                            seq += 1
                            let value = "c\(c)-\(seq)"
                            do {
                                try await client.put(address, key: key, value: value, timeout: timeout)
                                out.append(HistoryOperation(client: c, call: ns(call), ret: ns(clock.now), kind: .put(key: key, value: value)))
                            } catch {
                                let e = error as? EtcdError
                                answered = e?.status != nil
                                out.append(HistoryOperation(client: c, call: ns(call), ret: e?.refused == true ? ns(clock.now) : nil,
                                                            kind: .put(key: key, value: value), outcome: e?.refused == true ? .fail : .unknown))
                            }
                        }
                        if !answered {
                            endpoint = (endpoint + 1) % endpoints.count
                            try? await Task.sleep(for: .milliseconds(20))  // pacing, so a dead member is not hammered
                        }
                    }
                    return out
                }
            }
            var all: [HistoryOperation] = []
            for await ops in group { all += ops }
            return all.sorted { ($0.call, $0.client) < ($1.call, $1.client) }
        }
    }

    /// Checks a history of puts and gets for linearizability, within `time` (then "unknown", never a hang).
    public static func check(_ history: [HistoryOperation], within time: Duration = .seconds(10), budget: Int = 50_000_000) -> Verdict {
        ClientHistory.check(history, within: time, budget: budget)
    }
}
