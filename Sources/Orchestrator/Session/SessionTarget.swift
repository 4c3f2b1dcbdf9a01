/// Where a session's cluster comes from: running members it attaches to, or a local cluster it
/// starts (and stops at its close, unless told to leave it running).
public enum SessionTarget: Sendable {
    /// Running members: Flotilla's nodes' admin addresses (`HOST:PORT,…`, with the cluster token),
    /// or `etcd://HOST:PORT,…` client addresses.
    case connect(String, token: String?)
    /// A local cluster in `directory` (a fresh temp dir when nil, removed at the close): one that
    /// runs already (`flotilla up`) is only attached to; otherwise its members, or `nodes` new
    /// ones of Flotilla's node, are started here and stopped at the close unless `leaveRunning`.
    case local(directory: String?, nodes: Int, nodeArgs: [String], purpose: String, leaveRunning: Bool)
}
