import Foundation

/// A cluster a session started for itself (console, replay, chaos), and how it ends: every member
/// stopped, and its directory removed unless it is to be kept (the operator named it, asked to
/// keep it, or the run failed and its logs are worth reading).
public struct TemporaryCluster: Sendable {
    public let directory: String
    /// The directory stays after the teardown.
    public let keep: Bool
    let stopAll: @Sendable () async -> Void

    public init(directory: String, keep: Bool, stopAll: @escaping @Sendable () async -> Void) {
        self.directory = directory
        self.keep = keep
        self.stopAll = stopAll
    }

    /// A fresh directory under the system's temp dir, e.g. `/tmp/flotilla-chaos-1a2b3c4d`.
    public static func freshDirectory(_ purpose: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-\(purpose)-\(UUID().uuidString.prefix(8))").path
    }

    /// Creates and starts `nodes` of Flotilla's node in `directory` (a fresh temporary one when
    /// nil, removed at the teardown unless `keep`; a named one is always kept).
    /// With `network`, the nodes are hosts of that (built) lab, which the teardown removes too.
    public static func flotilla(nodes: Int, nodeArgs: [String], directory: String?, purpose: String, keep: Bool = false,
                                executable: String = Launcher.currentExecutable,
                                network: NetnsLab? = nil) async throws -> (FlotillaEngine, TemporaryCluster) {
        let dir = directory ?? freshDirectory(purpose)
        let launcher = Launcher(directory: dir, executable: executable)
        let spec = try launcher.create(nodes: nodes, nodeArgs: nodeArgs, network: network)
        let cluster = TemporaryCluster(directory: dir, keep: keep || directory != nil) {
            for n in (try? launcher.load().nodes) ?? spec.nodes { _ = await launcher.stop(n, grace: .seconds(3)) }
            try? await network?.teardown()
        }
        do {
            for n in spec.nodes { try launcher.start(n, spec: spec) }
            return (FlotillaEngine(control: ClusterControl(client: try ClusterClient.local(launcher))), cluster)
        } catch {
            await cluster.stopAll()
            throw error
        }
    }

    /// Creates and starts `members` etcd members in `directory` (as for `flotilla`) and waits,
    /// bounded, for a leader.
    public static func etcd(members: Int, directory: String?, purpose: String, keep: Bool = false,
                            network: NetnsLab? = nil, disks: Bool = geteuid() == 0,
                            releaser: String = Launcher.currentExecutable) async throws -> (EtcdEngine, TemporaryCluster) {
        let dir = directory ?? freshDirectory(purpose)
        let engine = try await EtcdEngine.launch(members: members, in: dir, network: network, disks: disks, within: .seconds(30),
                                                 releaser: releaser)
        let kept = keep || directory != nil
        return (engine, TemporaryCluster(directory: dir, keep: kept) {
            // A directory that goes needs no copy of the data on the members' tmpfs.
            await engine.tearDown(removing: false, keepingData: kept)
            try? await network?.teardown()
        })
    }

    /// Stops every member; removes the directory unless it is kept or `failed`. The directory
    /// when it stays, else nil.
    public func tearDown(failed: Bool) async -> String? {
        await stopAll()
        if keep || failed { return directory }
        try? FileManager.default.removeItem(atPath: directory)
        return nil
    }
}
