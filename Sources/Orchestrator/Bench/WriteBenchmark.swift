import FlotillaAPI
import Foundation
import Synchronization

/// Drives `POST /v1/tasks` at the leader from `clients` concurrent keep-alive clients for a
/// fixed time and measures each committed submit.
public struct WriteBenchmark: Sendable {
    public var clients: Int
    public var duration: Duration

    public init(clients: Int, duration: Duration) {
        self.clients = clients
        self.duration = duration
    }

    public struct Result: Sendable {
        public var ops: Int
        public var errors: Int
        public var seconds: Double
        /// Latencies in milliseconds, sorted.
        public var latencies: [Double]

        public func percentile(_ p: Double) -> Double { Orchestrator.percentile(latencies, p) }

        public var line: String {
            String(format: "bench write: ops=%d throughput=%.0f/s p50=%.2fms p99=%.2fms errors=%d",
                   ops, Double(ops) / max(seconds, 0.001), percentile(0.5), percentile(0.99), errors)
        }
    }

    /// What one write is: a Flotilla submit, or (for comparison) an etcd put through its JSON gateway.
    public enum Target: Sendable {
        case flotilla
        case etcd
    }

    public func run(leader: String, client: AdminClient, target: Target = .flotilla) async -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + duration
        let results = await withTaskGroup(of: ([Double], Int).self) { group in
            for c in 0..<clients {
                group.addTask {
                    var lat: [Double] = []
                    var errors = 0
                    var i = 0
                    while clock.now < end {
                        i += 1
                        let t0 = clock.now
                        do {
                            switch target {
                            case .flotilla:
                                let _: SubmitResult = try await client.call(
                                    "POST", leader, "/v1/tasks",
                                    body: TaskSubmission(kind: "echo", args: ["text": "b"], key: "bench-\(c)-\(i)"))
                            case .etcd:
                                let key = Data("bench-\(c)-\(i)".utf8).base64EncodedString()
                                let _: EtcdPutResponse = try await client.call(
                                    "POST", leader, "/v3/kv/put", body: ["key": key, "value": Data("b".utf8).base64EncodedString()])
                            }
                            let d = clock.now - t0
                            lat.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
                        } catch {
                            errors += 1
                        }
                    }
                    return (lat, errors)
                }
            }
            var all: [Double] = []
            var errors = 0
            for await (l, e) in group {
                all += l
                errors += e
            }
            return (all, errors)
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(ops: results.0.count, errors: results.1, seconds: seconds, latencies: results.0.sorted())
    }
}

/// The part of etcd's put answer the benchmark checks.
struct EtcdPutResponse: Decodable {
    struct Header: Decodable { var revision: String? }
    var header: Header
}
