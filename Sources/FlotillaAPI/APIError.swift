/// Every error the admin API returns: `{"error": "...", "code": "..."}` with a 4xx/5xx status.
public struct APIError: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public var error: String
    public var code: String
    /// For `not-leader`: the leader's admin address, when known.
    public var leader: String?

    public init(_ error: String, code: String, leader: String? = nil) {
        self.error = error
        self.code = code
        self.leader = leader
    }

    public var description: String { "\(error) (\(code))" }
}

/// The error codes clients can act on.
public enum APIErrorCode {
    public static let badRequest = "bad-request"
    public static let unauthorized = "unauthorized"
    public static let notFound = "not-found"
    public static let notLeader = "not-leader"
    public static let noLeader = "no-leader"
    public static let tooLarge = "too-large"
    public static let conflict = "conflict"
    public static let timeout = "timeout"
    public static let unavailable = "unavailable"
    public static let storage = "storage"
    public static let `internal` = "internal"
}
