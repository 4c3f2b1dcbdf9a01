import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A local etcd cluster on loopback, for measuring Flotilla beside etcd on the same machine in
/// the same run: started from the `etcd` on PATH, with free ports and a temporary directory,
/// stopped and removed afterwards.
public struct EtcdCluster: Sendable {
    public let directory: String
    /// Client (HTTP/JSON gateway) addresses, HOST:PORT.
    public let clients: [String]
    public let pids: [pid_t]

    /// The `etcd` executable on PATH, if any.
    public static func executable() -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/etcd"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    /// Starts `nodes` etcd members and waits until one of them names a leader.
    public static func start(nodes: Int, in directory: String) async throws -> EtcdCluster {
        guard let etcd = executable() else {
            throw OrchestratorError("no etcd on PATH: install it (Debian: apt-get install etcd-server) to compare")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ports = try FreePorts.take(nodes * 2)
        let peers = (0..<nodes).map { "e\($0 + 1)=http://127.0.0.1:\(ports[2 * $0])" }.joined(separator: ",")
        var pids: [pid_t] = []
        var clients: [String] = []
        for i in 0..<nodes {
            let peer = "http://127.0.0.1:\(ports[2 * i])", client = "127.0.0.1:\(ports[2 * i + 1])"
            let args = ["--name", "e\(i + 1)", "--data-dir", "\(directory)/e\(i + 1)",
                        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                        "--listen-client-urls", "http://\(client)", "--advertise-client-urls", "http://\(client)",
                        "--initial-cluster", peers, "--initial-cluster-state", "new", "--log-level", "error"]
            do {
                pids.append(try Spawn.background(etcd, args, log: "\(directory)/e\(i + 1).log"))
            } catch {
                for p in pids { kill(p, SIGKILL) }
                throw error
            }
            clients.append(client)
        }
        let cluster = EtcdCluster(directory: directory, clients: clients, pids: pids)
        guard await cluster.leader(within: .seconds(20)) != nil else {
            await cluster.stop()
            throw OrchestratorError("etcd elected no leader within 20 s (logs in \(directory))")
        }
        return cluster
    }

    /// The client address of the member that leads, polling until `within` passes.
    public func leader(within: Duration) async -> String? {
        struct Status: Decodable {
            struct Header: Decodable { var member_id: String? }
            var header: Header
            var leader: String?
        }
        let client = AdminClient(token: nil)
        let deadline = ContinuousClock.now + within
        var found: String?
        while found == nil, ContinuousClock.now < deadline {
            for address in clients {
                let s: Status? = try? await client.call("POST", address, "/v3/maintenance/status", body: [String: String](), timeout: .seconds(1))
                if let s, s.leader != nil, s.leader == s.header.member_id { found = address }
            }
            if found == nil { try? await Task.sleep(for: .milliseconds(100)) }
        }
        await client.shutdown()
        return found
    }

    public func stop() async {
        for p in pids { kill(p, SIGTERM) }
        for p in pids where !(await Spawn.waitForExit(p, within: .seconds(5))) { kill(p, SIGKILL) }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
