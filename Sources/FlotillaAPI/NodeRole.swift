/// A node's part in Raft, as `GET /v1/status` reports it.
public enum NodeRole: OpenEnum {
    case follower
    /// Asking whether it could win before starting an election (pre-vote).
    case preCandidate
    case candidate
    case leader
    /// A member that replicates the log without a vote.
    case learner
    case unknown(String)

    public static let known: [NodeRole] = [.follower, .preCandidate, .candidate, .leader, .learner]

    public var rawValue: String {
        switch self {
        case .follower: "follower"
        case .preCandidate: "pre-candidate"
        case .candidate: "candidate"
        case .leader: "leader"
        case .learner: "learner"
        case .unknown(let raw): raw
        }
    }
}
