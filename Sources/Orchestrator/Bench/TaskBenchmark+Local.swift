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
        try await ClusterSession.onTemporaryCluster(nodes: nodes, nodeArgs: ["--slots", "\(slots)"], purpose: "bench",
                                                    options: sessionOptions) { session in
            let result = try await bench.run(in: session)
            func memory(_ field: String) -> String {
                guard let launcher = session.control?.client.launcher, let spec = try? launcher.load() else { return "" }
                return spec.nodes.compactMap { n in
                    launcher.pid(of: n).flatMap { HTTPLoad.residentMegabytes(of: $0, field) }.map { "\(n.id)=\(Int($0.rounded()))" }
                }.joined(separator: " ")
            }
            return LocalRun(result: result, rss: memory("VmRSS"), privateMB: memory("RssAnon"))
        }
    }
}
