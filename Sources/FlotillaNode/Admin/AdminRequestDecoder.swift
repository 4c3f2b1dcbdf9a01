import FlotillaAPI
import Foundation
import Hummingbird
import NIOCore

/// Decodes a request body as JSON, answering every way it can be wrong with an `APIError`:
/// a Content-Type other than application/json 415, a body over the context's limit 413, an
/// empty body 400 (unless the route takes an optional), and malformed JSON, wrong types or
/// missing fields 400 naming the place ("malformed JSON: missing field kind"). A task submission
/// in the plain shape clients send at rate is read by `FlatJSON` instead of `JSONDecoder`.
struct AdminRequestDecoder: RequestDecoder {
    func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws -> T {
        if let contentType = request.headers.value(of: .contentType), !Self.isJSON(contentType) {
            throw APIError("send JSON with Content-Type: application/json (got \"\(contentType.prefix(80))\")", code: .unsupportedMediaType)
        }
        let limit = context.maxUploadSize
        let tooLarge = APIError("request body over \(limit) bytes", code: .tooLarge)
        if let length = request.headers.value(of: .contentLength).flatMap(Int.init), length > limit { throw tooLarge }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
        if buffer.readableBytes == 0 {
            if let absent = (T.self as? any OptionalBody.Type)?.absent as? T { return absent }
            throw APIError("a JSON body is required", code: .badRequest)
        }
        if T.self == TaskSubmission.self,
           let fast = buffer.readableBytesView.withContiguousStorageIfAvailable({ TaskSubmission(flatJSON: UnsafeRawBufferPointer($0)) }),
           let submission = fast as? T {
            return submission
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError("malformed JSON: \(error.summary)", code: .badRequest)
        }
    }

    /// `application/json`, in any case, with or without parameters (`; charset=utf-8`).
    static func isJSON(_ contentType: String) -> Bool {
        if contentType == "application/json" { return true }  // as nearly every client sends it, without Foundation's trimming
        let mediaType = contentType.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces)
        return mediaType.lowercased() == "application/json"
    }
}
