/// Why the transport could not start.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    case addressInUse(host: String, port: Int)
    case bindFailed(host: String, port: Int, reason: String)
    case alreadyStarted
    case shutDown

    public var description: String {
        switch self {
        case let .addressInUse(host, port):
            "cannot listen for peers on \(host):\(port): the port is already in use (is another node running there? choose another raft port)"
        case let .bindFailed(host, port, reason):
            "cannot listen for peers on \(host):\(port): \(reason)"
        case .alreadyStarted:
            "the peer transport is already running"
        case .shutDown:
            "the peer transport has been shut down; create a new one"
        }
    }
}
