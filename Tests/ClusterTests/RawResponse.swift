import Foundation

/// One HTTP/1.1 answer read off a `RawConnection`: status, headers (lower-cased names), body.
struct RawResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    /// Parses a whole answer (a Content-Length body, or none); nil while it is incomplete.
    init?(_ bytes: [UInt8]) {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0...max(0, bytes.count - 4)).first(where: { bytes.count >= 4 && Array(bytes[$0..<$0 + 4]) == separator }) else {
            return nil
        }
        let head = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = head[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard bytes.count - (end + 4) >= length else { return nil }
        self.status = status
        self.headers = headers
        self.body = Data(bytes[(end + 4)..<(end + 4 + length)])
    }
}
