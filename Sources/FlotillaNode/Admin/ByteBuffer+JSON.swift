import Foundation
import NIOCore

extension ByteBuffer {
    /// `value` as JSON with sorted keys (equal values, equal bytes); a value that cannot be
    /// encoded becomes an internal error body rather than a trap.
    static func json<T: Encodable>(_ value: T) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{\"code\":\"internal\",\"error\":\"encoding failed\"}".utf8)
        return ByteBuffer(bytes: data)
    }
}
