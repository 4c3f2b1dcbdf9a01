/// One member of a local etcd cluster as `etcd.json` records it: where it listens, where its
/// files are, and the flags it was first started with (a restart on its data dir ignores them).
public struct EtcdMemberSpec: Codable, Sendable, Equatable {
    /// The member's name (`e1`, `e2`, …): its id in tables and commands.
    public var name: String
    /// Where peers reach it, HOST:PORT.
    public var peerAddress: String
    /// Its client (gRPC and JSON gateway) address, HOST:PORT.
    public var clientAddress: String
    public var dataDir: String
    public var logFile: String
    public var pidFile: String
    /// `--initial-cluster` at its first start: every member then, itself included.
    public var initialCluster: String
    /// `new` for a founder, `existing` for a member added later.
    public var initialState: String
    /// The tmpfs its data dir lives on (`disk NAME full` fills it); nil when the cluster was made
    /// without root, and the data dir is on the directory's own file system.
    public var disk: EtcdMemberDisk? = nil

    public init(name: String, peerAddress: String, clientAddress: String, dataDir: String, logFile: String, pidFile: String,
                initialCluster: String, initialState: String, disk: EtcdMemberDisk? = nil) {
        self.name = name
        self.peerAddress = peerAddress
        self.clientAddress = clientAddress
        self.dataDir = dataDir
        self.logFile = logFile
        self.pidFile = pidFile
        self.initialCluster = initialCluster
        self.initialState = initialState
        self.disk = disk
    }

    /// `http://HOST:PORT` of the peer listener, as etcd's member list writes it.
    public var peerURL: String { "http://\(peerAddress)" }
    public var clientURL: String { "http://\(clientAddress)" }
}
