/// Which way a node's fault rules drop traffic, as seen from that node.
public enum FaultDirection: OpenEnum {
    /// To and from the listed peers.
    case both
    /// Only from the listed peers.
    case `in`
    /// Only to the listed peers.
    case out
    case unknown(String)

    public static let known: [FaultDirection] = [.both, .in, .out]

    public var rawValue: String {
        switch self {
        case .both: "both"
        case .in: "in"
        case .out: "out"
        case .unknown(let raw): raw
        }
    }
}
