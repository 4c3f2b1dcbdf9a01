import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Drives replicated writes at a leader from `clients` keep-alive connections for a fixed time
/// and measures each acknowledged one: Flotilla's `POST /v1/tasks`, or for comparison etcd's
/// `POST /v3/kv/put` through its JSON gateway, with the same load generator (`HTTPLoad`).
public struct WriteBenchmark: Sendable {
    public var clients: Int
    public var duration: Duration
    public var threads: Int

    public init(clients: Int, duration: Duration, threads: Int = 2) {
        self.clients = clients
        self.duration = duration
        self.threads = threads
    }

    /// What one write is.
    public enum Target: Sendable, Equatable {
        /// A task submit (kind echo) with a fresh idempotency key; the token if the cluster has one.
        case flotilla(token: String?)
        /// An etcd put of a fresh key.
        case etcd

        public var name: String {
            switch self {
            case .flotilla: "flotilla"
            case .etcd: "etcd"
            }
        }
    }

    public struct Result: Sendable {
        public var target: String
        public var ops: Int
        public var errors: Int
        public var seconds: Double
        /// CPU the load generator used, in cores (CPU seconds per second).
        public var clientCores: Double
        /// CPU the servers used, in cores, when their processes were given.
        public var serverCores: Double?
        /// Latencies in milliseconds, sorted.
        public var latencies: [Double]

        public var throughput: Double { Double(ops) / max(seconds, 0.001) }
        public func percentile(_ p: Double) -> Double { Orchestrator.percentile(latencies, p) }

        /// Mean latency times throughput: by Little's law, the writes in flight on average. It
        /// cannot exceed the connections; a tool whose figures say otherwise mismeasures.
        public var inFlight: Double {
            latencies.isEmpty ? 0 : latencies.reduce(0, +) / Double(latencies.count) / 1000 * throughput
        }

        public var line: String {
            var s = String(format: "bench write (%@): ops=%d throughput=%.0f/s p50=%.2fms p99=%.2fms in_flight=%.1f errors=%d client_cpu=%.2f cores",
                           target, ops, throughput, percentile(0.5), percentile(0.99), inFlight, errors, clientCores)
            if let serverCores { s += String(format: " server_cpu=%.2f cores", serverCores) }
            return s
        }
    }

    /// Runs the load against `address` (the leader), on threads of its own. `serverPids` are
    /// the cluster's processes, whose CPU use is reported beside the client's.
    public func run(at address: String, target: Target, serverPids: [pid_t] = []) async throws -> Result {
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let head: String
        switch target {
        case .flotilla(let token):
            head = "POST /v1/tasks HTTP/1.1\r\nHost: \(address)\r\nContent-Type: application/json\r\n"
                + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "")
        case .etcd:
            head = "POST /v3/kv/put HTTP/1.1\r\nHost: \(address)\r\nContent-Type: application/json\r\n"
        }
        let load = try HTTPLoad(address: address, connections: clients, threads: threads, duration: duration) { c, n in
            let body: String
            switch target {
            case .flotilla:
                body = #"{"kind":"echo","args":{"text":"b"},"key":"bench-\#(run)-\#(c)-\#(n)"}"#
            case .etcd:
                // Any key of base64 letters whose length is a multiple of 4 is valid base64.
                let key = "\(run)x\(c)x\(n)"
                body = #"{"key":"\#(key + String(repeating: "A", count: (4 - key.utf8.count % 4) % 4))","value":"Yg=="}"#
            }
            return Array((head + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
        }
        let serverBefore = serverPids.compactMap(HTTPLoad.cpuSeconds(of:)).reduce(0, +)
        let r = await load.run()
        let serverAfter = serverPids.compactMap(HTTPLoad.cpuSeconds(of:)).reduce(0, +)
        return Result(target: target.name, ops: r.ok, errors: r.refused + r.broken, seconds: r.seconds,
                      clientCores: r.cpuSeconds / max(r.seconds, 0.001),
                      serverCores: serverPids.isEmpty ? nil : (serverAfter - serverBefore) / max(r.seconds, 0.001),
                      latencies: r.latencies)
    }
}

extension WriteBenchmark {
    /// Medians over the rounds per target, and the ratios that matter: Flotilla against etcd,
    /// and this load generator against wrk on the same cluster.
    /// The medians over the rounds, the ratios, and a warning for each tool whose latencies fail
    /// Little's law (more in flight than `connections`, by over 2%).
    public static func summary(_ results: [String: [Result]], wrk: [Wrk.Result], connections: Int) -> [String] {
        func median(_ xs: [Double]) -> Double { percentile(xs.sorted(), 0.5) }
        var lines: [String] = []
        var throughputs: [String: Double] = [:]
        for target in results.keys.sorted(by: >) {
            let rs = results[target]!
            let t = median(rs.map(\.throughput))
            throughputs[target] = t
            var line = String(format: "bench write median of %d (%@): throughput=%.0f/s p50=%.2fms p99=%.2fms in_flight=%.1f client_cpu=%.2f cores",
                              rs.count, target, t, median(rs.map { $0.percentile(0.5) }), median(rs.map { $0.percentile(0.99) }),
                              median(rs.map(\.inFlight)), median(rs.map(\.clientCores)))
            if rs.allSatisfy({ $0.serverCores != nil }) { line += String(format: " server_cpu=%.2f cores", median(rs.compactMap(\.serverCores))) }
            lines.append(line)
        }
        if !wrk.isEmpty {
            let w = median(wrk.map(\.throughput))
            lines.append(String(format: "bench write median of %d (wrk, flotilla): throughput=%.0f/s p50=%.2fms p99=%.2fms in_flight=%.1f",
                                wrk.count, w, median(wrk.map(\.p50Ms)), median(wrk.map(\.p99Ms)), median(wrk.map(\.inFlight))))
            if let f = throughputs["flotilla"] { lines.append(String(format: "bench write: this load generator reaches %.2fx of wrk's throughput", f / max(w, 1))) }
        }
        if let f = throughputs["flotilla"], let e = throughputs["etcd"] {
            lines.append(String(format: "bench write: flotilla/etcd throughput %.2fx", f / max(e, 1)))
        }
        let inFlight = results.sorted { $0.key > $1.key }.map { ($0.key, $0.value.map(\.inFlight)) } + (wrk.isEmpty ? [] : [("wrk", wrk.map(\.inFlight))])
        for (tool, figures) in inFlight {
            guard let worst = figures.max(), worst > Double(connections) * 1.02 else { continue }
            lines.append(String(format: "bench write: %@'s latencies are not to be trusted: in_flight %.1f over %d connections", tool, worst, connections))
        }
        return lines
    }
}
