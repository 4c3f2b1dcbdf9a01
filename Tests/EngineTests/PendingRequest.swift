import Foundation
import Orchestrator
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP request written whole into a socket before its server can read it: to a paused
/// (SIGSTOPped) member, the kernel accepts the connection and buffers the request, so when the
/// member resumes the request is already there, with nothing left to chance about when it was
/// sent. Blocking calls, each bounded; use from `offThePool`.
final class PendingRequest: @unchecked Sendable {
    let fd: Int32

    /// Connects to `address` (127.0.0.1:PORT) and sends a POST of `json` with `Connection: close`.
    init(_ address: String, path: String, json: String) throws {
        guard let port = address.split(separator: ":").last.flatMap({ UInt16($0) }) else { throw OrchestratorError("bad address \(address)") }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw OrchestratorError("socket: errno \(errno)") }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(port.bigEndian)
        sa.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw OrchestratorError("connect to \(address): errno \(errno)")
        }
        let bytes = Array(("POST \(path) HTTP/1.1\r\nHost: \(address)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(json.utf8.count)\r\nConnection: close\r\n\r\n\(json)").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                throw OrchestratorError("send to \(address): errno \(errno)")
            }
            done += n
        }
    }

    /// The answer's body, read until the server closes or `timeout` passes (then nil). Closes the socket.
    func body(within timeout: Duration) -> String? {
        defer { close(fd) }
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) >= 0 || errno == EINTR else { return nil }
            guard p.revents != 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0, errno == EINTR { continue }
            if n <= 0 {
                let text = String(decoding: received, as: UTF8.self)
                return text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) }
            }
            received += buffer[..<n]
        }
        return nil
    }
}
