/// Every error the admin API returns: `{"error": "...", "code": "..."}` with a 4xx/5xx status.
public struct APIError: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public var error: String
    public var code: APIErrorCode
    /// For `not-leader`: the leader's admin address, when known.
    public var leader: String?

    public init(_ error: String, code: APIErrorCode, leader: String? = nil) {
        self.error = error
        self.code = code
        self.leader = leader
    }

    public var description: String { "\(error) (\(code))" }
}
