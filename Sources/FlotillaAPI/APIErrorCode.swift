/// The error codes clients can act on; a code from a newer node decodes as `unknown`, so its message still reaches the user.
public enum APIErrorCode: OpenEnum {
    case badRequest
    case unauthorized
    case notFound
    case methodNotAllowed
    case notLeader
    case noLeader
    case tooLarge
    case unsupportedMediaType
    case conflict
    case timeout
    case unavailable
    /// The queue holds as many unfinished tasks as it takes: retry later.
    case queueFull
    case storage
    case `internal`
    case unknown(String)

    public static let known: [APIErrorCode] = [
        .badRequest, .unauthorized, .notFound, .methodNotAllowed, .notLeader, .noLeader, .tooLarge,
        .unsupportedMediaType, .conflict, .timeout, .unavailable, .queueFull, .storage, .internal,
    ]

    public var rawValue: String {
        switch self {
        case .badRequest: "bad-request"
        case .unauthorized: "unauthorized"
        case .notFound: "not-found"
        case .methodNotAllowed: "method-not-allowed"
        case .notLeader: "not-leader"
        case .noLeader: "no-leader"
        case .tooLarge: "too-large"
        case .unsupportedMediaType: "unsupported-media-type"
        case .conflict: "conflict"
        case .timeout: "timeout"
        case .unavailable: "unavailable"
        case .queueFull: "queue-full"
        case .storage: "storage"
        case .internal: "internal"
        case .unknown(let raw): raw
        }
    }
}
