import Hummingbird

extension Response {
    /// `value` as a JSON answer.
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        json(body: .json(value), status: status)
    }

    /// A JSON answer whose bytes are already written.
    static func json(body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
}
