import Foundation

extension TaskBenchmark {
    /// What a run on a cluster of its own measured: the benchmark's result, and each node's
    /// memory while every task of the run is still in its table (`rss`: VmRSS, with the
    /// executable's and the shared libraries' resident pages, some 35 MB shared by every node;
    /// `privateMB`: RssAnon, what the node holds of its own), as `n1=70 n2=68 …`.
    public struct LocalRun: Sendable {
        public var result: Result
        public var rss: String
        public var privateMB: String
    }

    /// Runs `bench` on a temporary cluster of `nodes` with `slots` each, in a session whose close
    /// stops the cluster however the run ends (SIGINT included).
    public static func local(_ bench: TaskBenchmark, nodes: Int, slots: Int) async throws -> LocalRun {
        let (engine, cluster) = try await TemporaryCluster.flotilla(nodes: nodes, nodeArgs: ["--slots", "\(slots)", "--log-level", "warning"],
                                                                   directory: nil, purpose: "bench")
        var options = sessionOptions
        options.stopOnSignal = true
        let session = ClusterSession(engine: engine, options: options, cluster: cluster)
        return try await session.run { session in
            let (_, ok) = await session.engine.wait(for: .seconds(20)) { $0.leader != nil }
            guard ok else { throw OrchestratorError("no leader within 20 s") }
            let result = try await bench.run(in: session)
            func memory(_ field: String) -> String {
                guard let launcher = session.control?.client.launcher, let spec = try? launcher.load() else { return "" }
                return spec.nodes.compactMap { n in
                    launcher.pid(of: n).flatMap { HTTPLoad.residentMegabytes(of: $0, field) }.map { "\(n.id)=\(Int($0.rounded()))" }
                }.joined(separator: " ")
            }
            return LocalRun(result: result, rss: memory("VmRSS"), privateMB: memory("RssAnon"))
        }.value
    }
}
