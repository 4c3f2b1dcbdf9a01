import FlotillaAPI
import Foundation
import Hummingbird
import Logging
import NodeStorage
import Testing
import TestSupport
@testable import FlotillaNode

/// A real node in this process: storage in a temp dir (fsync off), the peer transport on a
/// free port, the Raft driver loop running. Its admin router is the one the node serves,
/// driven through HummingbirdTesting: no HTTP server, no process.
struct InProcessNode: Sendable {
    static let token = "the-cluster-token"
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    let runtime: NodeRuntime
    let loop: Task<Void, Never>

    var api: NodeAPI { runtime.api }
    var config: NodeConfig { runtime.api.config }

    /// Starts a node: a founder bootstraps itself as the only voter; otherwise it waits, uninitialized.
    static func start(id: String = "n1", founder: Bool = true, token: String? = token,
                      disk: any StorageDisk = PosixDisk(faults: DiskFaults()), fsync: Bool = false,
                      configure: (inout NodeConfig) -> Void = { _ in }) async throws -> InProcessNode {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-\(id)-\(UUID().uuidString)").path
        var config = NodeConfig(id: id, raftPort: freePort(), adminPort: freePort(), dataDir: dir)
        config.token = token
        if founder { config.bootstrapPeers = [PeerSpec(id: id, raftAddress: config.raftAddress, adminAddress: config.adminAddress)] }
        configure(&config)
        var options = StorageOptions()
        options.fsync = fsync
        let runtime = try await NodeRuntime.open(config, storage: options, disk: disk, logger: quiet)
        return InProcessNode(runtime: runtime, loop: Task { await runtime.driver.run() })
    }

    /// Waits until the node leads (a founder alone elects itself after one election timeout).
    /// The bound is generous: the node's ticker shares this test process's two pool threads
    /// with the router fuzz's workers, and under a loaded CI machine its 30-60 ticks can take
    /// many seconds to come round; in the full suite the CPU-bound tests that start with it have
    /// held those threads for 70 s.
    func waitUntilLeader() async throws {
        try await eventually("\(config.id) to lead", timeout: .seconds(180)) { api.status.role == .leader }
    }

    /// The node's admin router as an application the test client drives in process.
    func application() -> some ApplicationProtocol {
        Application(router: AdminServer(api: api).router(), logger: Self.quiet)
    }

    /// Ends the driver loop, closes the transport and storage, and deletes the data directory.
    func stop() async {
        runtime.driver.stop()
        await loop.value
        await runtime.close()
        try? FileManager.default.removeItem(atPath: config.dataDir)
    }
}

/// Runs `body` with a started node (a leader when `founder`), stopping it however `body` ends.
func withNode<T: Sendable>(id: String = "n1", founder: Bool = true, token: String? = InProcessNode.token,
                           disk: any StorageDisk = PosixDisk(faults: DiskFaults()), fsync: Bool = false,
                           configure: (inout NodeConfig) -> Void = { _ in },
                           _ body: (InProcessNode) async throws -> T) async throws -> T {
    let node = try await InProcessNode.start(id: id, founder: founder, token: token, disk: disk, fsync: fsync, configure: configure)
    do {
        if founder { try await node.waitUntilLeader() }
        let value = try await body(node)
        await node.stop()
        return value
    } catch {
        await node.stop()
        throw error
    }
}
