import FlotillaAPI
import Foundation
import Hummingbird
import HummingbirdTesting

extension TestClientProtocol {
    /// One admin API request: `token` goes as `Authorization: Bearer`, and a `json` body with
    /// `Content-Type: application/json` unless `headers` names another.
    func send(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, token: String? = InProcessNode.token,
              headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if let token, headers[.authorization] == nil { headers[.authorization] = "Bearer \(token)" }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    /// The body as the API's error, when it is one.
    var apiError: APIError? { try? decode(APIError.self) }

    var text: String { String(buffer: body) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }
}
