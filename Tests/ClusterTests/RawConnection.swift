import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain blocking TCP connection to 127.0.0.1 for tests that must misbehave as no HTTP
/// client would: stay silent, dribble a request head, send broken framing, or never read.
/// Every call is bounded by a deadline. Use from `offThePool`.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    /// Connects within `timeout`; `receiveBuffer` shrinks the socket's receive buffer (set
    /// before connecting, so the window the node sees is small: a non-reader fills it fast).
    init(port: Int, receiveBuffer: Int? = nil, timeout: Duration = .seconds(5)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawConnectionError("socket: errno \(errno)") }
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw RawConnectionError("connect to 127.0.0.1:\(port): errno \(e)")
        }
    }

    /// Sends all of `bytes` (or as much as the peer takes before closing); false if it stopped early.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until the peer closes or `timeout` passes: what arrived, and whether it closed.
    func readUntilClosed(within timeout: Duration) -> (bytes: [UInt8], closed: Bool) {
        read(within: timeout) { _ in false }
    }

    /// Reads until what arrived ends with `suffix`, the peer closes, or `timeout` passes.
    func read(untilSuffix suffix: String, within timeout: Duration) -> (bytes: [UInt8], closed: Bool) {
        let tail = Array(suffix.utf8)
        return read(within: timeout) { $0.count >= tail.count && Array($0.suffix(tail.count)) == tail }
    }

    /// Reads until an answer's head has arrived (whatever follows it); false if none came in time.
    func readHead(within timeout: Duration) -> Bool {
        let end = Array("\r\n\r\n".utf8)
        var found = false
        _ = read(within: timeout) { bytes in
            found = bytes.count >= end.count && (0...(bytes.count - end.count)).contains { Array(bytes[$0..<($0 + end.count)]) == end }
            return found
        }
        return found
    }

    /// Reads one HTTP answer (head and a Content-Length body) within `timeout`; nil if none came whole.
    func readResponse(within timeout: Duration) -> RawResponse? {
        var parsed: RawResponse?
        _ = read(within: timeout) { bytes in
            parsed = RawResponse(bytes)
            return parsed != nil
        }
        return parsed
    }

    /// Reads until `enough` says so, the peer closes (or resets), or `timeout` passes.
    private func read(within timeout: Duration, until enough: ([UInt8]) -> Bool) -> (bytes: [UInt8], closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return (out, false) }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(min(1000, max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            let ready = poll(&p, 1, ms)
            if ready < 0, errno == EINTR { continue }
            if ready <= 0 { continue }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR || errno == EAGAIN { continue }
            if n <= 0 { return (out, true) }
            out += chunk[0..<n]
            if enough(out) { return (out, false) }
        }
    }

    func close() { Glibc.close(fd) }
}

/// A test's failure to open a raw connection.
struct RawConnectionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
