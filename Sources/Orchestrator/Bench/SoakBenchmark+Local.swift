import Foundation

extension SoakBenchmark {
    /// Runs the soak on a temporary cluster of `nodes` (`slots` each, `nodeArgs` added), in a
    /// session whose close stops the cluster however the run ends (SIGINT included).
    public func local(nodes: Int, slots: Int, nodeArgs: [String], report: @escaping @Sendable (Sample) -> Void) async throws -> Result {
        try await ClusterSession.onTemporaryCluster(nodes: nodes, nodeArgs: ["--slots", "\(slots)"] + nodeArgs, purpose: "soak",
                                                    options: sessionOptions) { session in
            var pids: [String: pid_t] = [:]
            if let launcher = session.control?.client.launcher, let spec = try? launcher.load() {
                for n in spec.nodes { pids[n.id] = launcher.pid(of: n) }
            }
            return try await self.run(in: session, pids: pids, report: report)
        }
    }
}
