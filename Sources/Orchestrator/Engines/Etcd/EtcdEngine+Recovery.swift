import FlotillaAPI
import Foundation

/// Recovery on a local etcd cluster: the same analyzers as on Flotilla's nodes over the same
/// snapshots; a member that died without an operator's kill (a full disk, a crash) is started
/// again on its data, one whose data is gone is replaced. etcd founds itself: there is nothing
/// to bootstrap.
extension EtcdEngine: RecoveryHost {
    public func recoveryLook() async -> ClusterSnapshot { await snapshot() }

    public func recoveryRestart(_ id: String) async throws -> String {
        let (local, m) = try member(id)
        guard local.pid(of: m) == nil else { return "already running" }
        try startProcess(id)
        return local.pid(of: m).map { "pid \($0)" } ?? "started"
    }

    public func recoveryReplace(_ id: String) async throws { try await replace(id) }

    public func recoveryBootstrap(reason: String) async throws {
        throw OrchestratorError("an etcd cluster founds itself from --initial-cluster; there is nothing to bootstrap")
    }
}
