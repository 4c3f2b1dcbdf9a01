import Foundation

/// `cluster.json`: what a local cluster directory holds and how to start each node.
public struct ClusterSpec: Codable, Sendable, Equatable {
    public var clusterID: String
    /// The token file (mode 0600) beside cluster.json.
    public var tokenFile: String
    public var nodes: [NodeSpec]
    /// Extra `flotilla node` flags every node gets (e.g. --slots 2, --election-ms 500).
    public var nodeArgs: [String]
    public var createdAt: String
    /// The namespace lab the nodes run in (`up --net netns`), nil on loopback.
    public var network: NetnsLab? = nil

    public struct NodeSpec: Codable, Sendable, Equatable {
        public var id: String
        public var raftAddress: String
        public var adminAddress: String
        public var dataDir: String
        public var logFile: String
        public var pidFile: String
    }

    public func node(_ id: String) -> NodeSpec? { nodes.first { $0.id == id } }

    /// `id=RAFT/ADMIN,…` for the founders' --peers flag.
    public var peersFlag: String {
        nodes.map { "\($0.id)=\($0.raftAddress)/\($0.adminAddress)" }.joined(separator: ",")
    }
}

/// Errors of the control plane, worded for the operator.
public struct OrchestratorError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
