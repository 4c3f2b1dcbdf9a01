/// One member as one polling round saw it: what it said of itself and of its links, or why it
/// said nothing.
public struct EtcdMemberView: Sendable, Equatable {
    /// Its name (`e2`), or for a member Flotilla did not launch and etcd knows no name of, its client address.
    public var name: String
    public var clientAddress: String
    public var peerAddress: String
    public var status: EtcdMemberStatus?
    /// Its Raft node's own reading (`/debug/vars`): the current term and role. Nil from a member
    /// that does not serve it (then term and role come from `status`, whose term lags; see
    /// `EtcdRaftState`).
    public var raft: EtcdRaftState?
    public var metrics: EtcdMetrics?
    /// Why the status request failed.
    public var error: String?
    /// For members of a local cluster: whether the process runs, is paused, or is gone.
    public var process: ProcessState?

    public init(name: String, clientAddress: String, peerAddress: String, status: EtcdMemberStatus? = nil, raft: EtcdRaftState? = nil,
                metrics: EtcdMetrics? = nil, error: String? = nil, process: ProcessState? = nil) {
        self.name = name
        self.clientAddress = clientAddress
        self.peerAddress = peerAddress
        self.status = status
        self.raft = raft
        self.metrics = metrics
        self.error = error
        self.process = process
    }

    /// Whether it leads: by its Raft state when that came, else by its status.
    public var leads: Bool {
        if let raft { return raft.raftState == "StateLeader" }
        return status?.leads ?? false
    }
}
