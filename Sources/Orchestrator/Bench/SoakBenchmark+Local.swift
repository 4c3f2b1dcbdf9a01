import Foundation

extension SoakBenchmark {
    /// Runs the soak on a temporary cluster of `nodes` (`slots` each, `nodeArgs` added), in a
    /// session whose close stops the cluster however the run ends (SIGINT included).
    public func local(nodes: Int, slots: Int, nodeArgs: [String], report: @escaping @Sendable (Sample) -> Void) async throws -> Result {
        let (engine, cluster) = try await TemporaryCluster.flotilla(nodes: nodes, nodeArgs: ["--slots", "\(slots)", "--log-level", "warning"] + nodeArgs,
                                                                   directory: nil, purpose: "soak")
        var options = sessionOptions
        options.stopOnSignal = true
        let session = ClusterSession(engine: engine, options: options, cluster: cluster)
        return try await session.run { session in
            let (_, ok) = await session.engine.wait(for: .seconds(20)) { $0.leader != nil }
            guard ok else { throw OrchestratorError("no leader within 20 s") }
            var pids: [String: pid_t] = [:]
            if let launcher = session.control?.client.launcher, let spec = try? launcher.load() {
                for n in spec.nodes { pids[n.id] = launcher.pid(of: n) }
            }
            return try await self.run(in: session, pids: pids, report: report)
        }.value
    }
}
