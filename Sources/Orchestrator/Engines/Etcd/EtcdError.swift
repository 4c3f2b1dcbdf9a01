/// An etcd request that did not succeed: the member did not answer, or answered with an error
/// (etcd's JSON gateway sends `{"error": …, "code": gRPC code}` with an HTTP status, e.g. 412
/// for "not leader" or a learner not yet in sync).
public struct EtcdError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The member's client address.
    public var address: String
    /// The HTTP status of the answer; nil when there was none.
    public var status: Int?
    public var message: String
    /// The connection was refused: the request certainly never reached etcd.
    public var refused: Bool

    public init(address: String, status: Int?, message: String, refused: Bool = false) {
        self.address = address
        self.status = status
        self.message = message
        self.refused = refused
    }

    /// 412: the request must go to the leader, or a learner is not yet in sync.
    public var isPreconditionFailed: Bool { status == 412 }

    /// 503 "unhealthy cluster": etcd refuses a membership change until the members it would
    /// leave have been connected for 5 s (its strict reconfiguration check).
    public var isUnhealthyCluster: Bool { status == 503 && message.contains("unhealthy") }

    public var description: String {
        if let status { return "etcd at \(address) answered \(status): \(message)" }
        return "etcd at \(address) does not answer (\(message))"
    }
}
