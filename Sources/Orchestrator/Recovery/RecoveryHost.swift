import FlotillaAPI
import Foundation

/// What recovery acts through, for any engine: the operator's intents (a member an operator
/// stopped or paused is not "dead"), where its events go, a fresh look to check a finding again
/// before acting, and the fixes it may run. Flotilla's `ClusterControl` is one host, a local etcd
/// cluster's `EtcdEngine` another.
public protocol RecoveryHost: Sendable {
    var intents: IntentStore { get }
    var events: EventSink { get }
    /// A fresh snapshot of the cluster.
    func recoveryLook() async -> ClusterSnapshot
    /// Starts a member that died without an operator's kill; what was done (`pid 4242`).
    func recoveryRestart(_ id: String) async throws -> String
    /// Replaces a member whose data is gone with a fresh one.
    func recoveryReplace(_ id: String) async throws
    /// Founds an uninitialized cluster.
    func recoveryBootstrap(reason: String) async throws
}

extension ClusterControl: RecoveryHost {
    public func recoveryLook() async -> ClusterSnapshot { await client.poll() }

    public func recoveryRestart(_ id: String) async throws -> String { "pid \(try start(id))" }

    public func recoveryReplace(_ id: String) async throws { try await replace(id) }

    public func recoveryBootstrap(reason: String) async throws { try await bootstrap(reason: reason) }
}
