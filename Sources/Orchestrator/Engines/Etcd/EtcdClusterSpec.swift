/// `etcd.json`: what a local etcd cluster directory holds, so that a later `flotilla` call finds
/// the cluster again as it finds a Flotilla cluster by its `cluster.json`.
public struct EtcdClusterSpec: Codable, Sendable, Equatable {
    /// Always `etcd`: says which engine the directory belongs to.
    public var engine: String
    /// `--initial-cluster-token`: keeps members of two local clusters from ever joining each other.
    public var clusterToken: String
    public var members: [EtcdMemberSpec]
    /// Extra `etcd` flags every member gets (e.g. `--heartbeat-interval 50`).
    public var memberArgs: [String]
    public var createdAt: String
    /// The namespace lab the members run in (`up --engine etcd --net netns`), nil on loopback.
    public var network: NetnsLab? = nil

    public init(clusterToken: String, members: [EtcdMemberSpec], memberArgs: [String], createdAt: String, network: NetnsLab? = nil) {
        engine = "etcd"
        self.clusterToken = clusterToken
        self.members = members
        self.memberArgs = memberArgs
        self.createdAt = createdAt
        self.network = network
    }

    public func member(_ name: String) -> EtcdMemberSpec? { members.first { $0.name == name } }

    /// The member whose client address is `address`.
    public func member(atClient address: String) -> EtcdMemberSpec? { members.first { $0.clientAddress == address } }

    /// `name=http://HOST:PORT,…` for `--initial-cluster`.
    public static func initialCluster(_ members: [EtcdMemberSpec]) -> String {
        members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
    }
}
