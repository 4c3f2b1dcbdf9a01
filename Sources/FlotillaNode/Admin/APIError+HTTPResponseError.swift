import FlotillaAPI
import Hummingbird

/// Routes and middleware throw `APIError`; Hummingbird answers it as the JSON the API promises.
extension APIError: HTTPResponseError {
    public var status: HTTPResponse.Status { code.status }

    public func response(from request: Request, context: some RequestContext) throws -> Response { response }

    /// This error as an answer: `{"error", "code"[, "leader"]}` with the code's status.
    var response: Response { .json(self, status: status) }
}
