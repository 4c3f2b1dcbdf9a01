import FlotillaAPI
import HTTPTypes

extension APIErrorCode {
    /// The HTTP status of an answer carrying this code.
    var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .tooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .conflict: .conflict
        // A not-leader error from the driver (leadership lost mid-write) has no Location to redirect to.
        case .noLeader, .unavailable, .notLeader: .serviceUnavailable
        case .timeout: .gatewayTimeout
        case .queueFull: .tooManyRequests
        case .storage: .init(code: 507, reasonPhrase: "Insufficient Storage")
        case .internal, .unknown: .internalServerError
        }
    }

    /// The code for an error status raised outside the API's own errors (by the HTTP framework).
    init(status: HTTPResponse.Status) {
        switch status.code {
        case 401: self = .unauthorized
        case 404: self = .notFound
        case 405: self = .methodNotAllowed
        case 413: self = .tooLarge
        case 415: self = .unsupportedMediaType
        case 429: self = .queueFull
        case 400..<500: self = .badRequest
        default: self = .internal
        }
    }
}
