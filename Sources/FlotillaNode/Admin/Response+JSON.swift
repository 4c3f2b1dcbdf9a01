import Hummingbird
import NIOCore

extension Response {
    /// `value` as a JSON answer.
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        json(body: .json(value), status: status)
    }

    /// Bodies above this are written in slices of it, each waiting for the client to take the
    /// one before (the socket's backpressure), instead of handed to the socket at once.
    static let sliceBytes = 64 * 1024

    /// A JSON answer whose bytes are already written.
    static func json(body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        let headers: HTTPFields = [.contentType: "application/json"]
        guard body.readableBytes > sliceBytes else {
            return Response(status: status, headers: headers, body: .init(byteBuffer: body))
        }
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: body.readableBytes) { writer in
            var rest = body
            while let slice = rest.readSlice(length: min(sliceBytes, rest.readableBytes)), slice.readableBytes > 0 {
                try await writer.write(slice)
            }
            try await writer.finish(nil)
        })
    }
}
