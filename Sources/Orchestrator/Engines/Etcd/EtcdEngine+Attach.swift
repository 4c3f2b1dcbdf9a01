import FlotillaAPI
import Foundation

extension EtcdEngine {
    /// The scheme `--connect` takes for an etcd cluster Flotilla did not start:
    /// `etcd://HOST:PORT,HOST:PORT` (client addresses).
    public static let connectScheme = "etcd://"

    /// The etcd cluster a command addresses, if it is one: `--connect etcd://HOST:PORT,…`, or a
    /// directory `flotilla up --engine etcd` made (it holds `etcd.json`). Nil for Flotilla's nodes.
    public static func attach(directory: String, connect: String?) -> EtcdEngine? {
        if let connect {
            guard connect.hasPrefix(connectScheme) else { return nil }
            let addresses = connect.dropFirst(connectScheme.count).split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return EtcdEngine(connect: addresses)
        }
        guard EtcdLocalCluster.exists(in: directory) else { return nil }
        return EtcdEngine(local: EtcdLocalCluster(directory: directory, executable: EtcdLocalCluster.etcdOnPath() ?? "etcd"))
    }
}
