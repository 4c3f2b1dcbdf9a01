extension ClusterSession {
    /// Runs `body` on a temporary Flotilla cluster of `nodes` (quiet logs, `nodeArgs` added)
    /// once it has a leader, in a session that stops on SIGINT and closes however `body` ends:
    /// how the benches that need a cluster of their own get one.
    public static func onTemporaryCluster<T: Sendable>(
        nodes: Int, nodeArgs: [String], purpose: String, options: SessionOptions,
        _ body: @escaping @Sendable (ClusterSession) async throws -> T
    ) async throws -> T {
        let (engine, cluster) = try await TemporaryCluster.flotilla(nodes: nodes, nodeArgs: ["--log-level", "warning"] + nodeArgs,
                                                                   directory: nil, purpose: purpose)
        var options = options
        options.stopOnSignal = true
        let session = ClusterSession(engine: engine, options: options, cluster: cluster)
        return try await session.run { session in
            let (_, ok) = await session.engine.wait(for: .seconds(20)) { $0.leader != nil }
            guard ok else { throw OrchestratorError("no leader within 20 s") }
            return try await body(session)
        }.value
    }
}
