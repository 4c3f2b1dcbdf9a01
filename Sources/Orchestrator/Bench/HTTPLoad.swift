import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A closed-loop HTTP/1.1 load generator in the manner of wrk: a few threads, each driving its
/// share of keep-alive connections with non-blocking sockets and poll(2), one request in
/// flight per connection, the next sent the moment an answer is complete. No HTTP library
/// sits between it and the socket, so it costs the machine little beside the server it
/// measures (it reports its own CPU use to show that).
public struct HTTPLoad: Sendable {
    public var host: String
    public var port: Int
    public var connections: Int
    public var threads: Int
    public var duration: Duration
    /// The whole request (head and body) for the `n`th request on connection `c`.
    public var request: @Sendable (_ c: Int, _ n: Int) -> [UInt8]

    public init(address: String, connections: Int, threads: Int = 2, duration: Duration,
                request: @escaping @Sendable (_ c: Int, _ n: Int) -> [UInt8]) throws {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw OrchestratorError("expected HOST:PORT, got \(address)") }
        self.host = String(parts[0])
        self.port = port
        self.connections = connections
        self.threads = max(1, min(threads, connections))
        self.duration = duration
        self.request = request
    }

    public struct Result: Sendable {
        /// Answers with a 2xx status.
        public var ok = 0
        /// Answers with any other status.
        public var refused = 0
        /// Connections that failed or closed under a request.
        public var broken = 0
        public var seconds = 0.0
        /// CPU seconds this process used while the load ran (user + system).
        public var cpuSeconds = 0.0
        /// Latencies of the 2xx answers in milliseconds, sorted.
        public var latencies: [Double] = []
    }

    /// Runs the load on threads of its own (none of the caller's executor's).
    public func run() async -> Result {
        let cpuBefore = Self.processCPUSeconds()
        let start = ContinuousClock.now
        let end = start + duration
        var result = await withCheckedContinuation { (done: CheckedContinuation<Result, Never>) in
            let collected = Mutex((result: Result(), running: threads))
            for t in 0..<threads {
                let mine = Array(stride(from: t, to: connections, by: threads))
                let thread = Thread {
                    let r = self.drive(mine, until: end)
                    let all = collected.withLock { c -> Result? in
                        c.result.ok += r.ok
                        c.result.refused += r.refused
                        c.result.broken += r.broken
                        c.result.latencies += r.latencies
                        c.running -= 1
                        return c.running == 0 ? c.result : nil
                    }
                    if let all { done.resume(returning: all) }
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
        }
        let elapsed = ContinuousClock.now - start
        result.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        result.cpuSeconds = Self.processCPUSeconds() - cpuBefore
        result.latencies.sort()
        return result
    }

    /// One connection's state.
    private struct Connection {
        var index: Int
        var fd: Int32 = -1
        var sent = 0
        var out: [UInt8] = []
        var input: [UInt8] = []
        var startedNs: UInt64 = 0
        var count = 0
        var writing: Bool { sent < out.count }
    }

    private func drive(_ indexes: [Int], until end: ContinuousClock.Instant) -> Result {
        var result = Result()
        var conns = indexes.map { Connection(index: $0) }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        for i in conns.indices { begin(&conns[i], &result) }
        var fds = [pollfd](repeating: pollfd(), count: conns.count)
        while ContinuousClock.now < end {
            for i in conns.indices {
                fds[i] = pollfd(fd: conns[i].fd, events: Int16(conns[i].writing ? POLLOUT : POLLIN), revents: 0)
            }
            let n = poll(&fds, nfds_t(fds.count), 50)
            if n <= 0 { continue }
            for i in conns.indices where fds[i].revents != 0 {
                if conns[i].writing {
                    flush(&conns[i], &result)
                    continue
                }
                let got = buffer.withUnsafeMutableBytes { read(conns[i].fd, $0.baseAddress, $0.count) }
                if got <= 0 {
                    if got < 0, errno == EAGAIN || errno == EINTR { continue }
                    result.broken += 1
                    close(conns[i].fd)
                    conns[i].fd = -1
                    begin(&conns[i], &result)
                    continue
                }
                conns[i].input.append(contentsOf: buffer[0..<got])
                guard let status = Self.completeAnswer(conns[i].input) else { continue }
                let ns = Self.nowNs() - conns[i].startedNs
                if (200..<300).contains(status) {
                    result.ok += 1
                    result.latencies.append(Double(ns) / 1e6)
                } else {
                    result.refused += 1
                }
                conns[i].input.removeAll(keepingCapacity: true)
                if ContinuousClock.now < end { send(&conns[i], &result) }
            }
        }
        for c in conns where c.fd >= 0 { close(c.fd) }
        return result
    }

    /// Connects (again) and sends the connection's next request.
    private func begin(_ c: inout Connection, _ result: inout Result) {
        if c.fd < 0 {
            c.fd = Self.connect(host: host, port: port)
            if c.fd < 0 {
                result.broken += 1
                return
            }
        }
        send(&c, &result)
    }

    private func send(_ c: inout Connection, _ result: inout Result) {
        c.count += 1
        c.out = request(c.index, c.count)
        c.sent = 0
        c.input.removeAll(keepingCapacity: true)
        c.startedNs = Self.nowNs()
        flush(&c, &result)
    }

    private func flush(_ c: inout Connection, _ result: inout Result) {
        while c.sent < c.out.count {
            let n = c.out.withUnsafeBytes { Glibc.write(c.fd, $0.baseAddress! + c.sent, $0.count - c.sent) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { return }
                result.broken += 1
                close(c.fd)
                c.fd = -1
                c.out = []
                c.sent = 0
                begin(&c, &result)
                return
            }
            c.sent += n
        }
    }

    /// The status of a complete answer in `bytes` (head, and a body by Content-Length or
    /// chunked), or nil while more is to come.
    static func completeAnswer(_ bytes: [UInt8]) -> Int? {
        guard let headEnd = headEnd(bytes), bytes.count >= 12 else { return nil }
        let status = Int(String(decoding: bytes[9..<12], as: UTF8.self)) ?? 0
        let head = String(decoding: bytes[0..<headEnd], as: UTF8.self).lowercased()
        let body = bytes.count - headEnd - 4
        if let range = head.range(of: "\r\ncontent-length:") {
            let digits = head[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber }
            return body >= (Int(digits) ?? 0) ? status : nil
        }
        if head.contains("\r\ntransfer-encoding: chunked") {
            return bytes.count >= headEnd + 9 && Array(bytes.suffix(5)) == Array("0\r\n\r\n".utf8) ? status : nil
        }
        return status
    }

    /// Where "\r\n\r\n" starts, if anywhere.
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    static func connect(host: String, port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            close(fd)
            return -1
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            return -1
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// User + system CPU seconds of this whole process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// A memory figure of `pid` in MB from /proc/PID/status, or nil once it is gone: `VmRSS`, all
    /// it has resident, or `RssAnon`, its own heap and stacks (without the pages of the executable
    /// and the shared libraries, which every node on the machine shares).
    public static func residentMegabytes(of pid: pid_t, _ field: String = "VmRSS") -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb / 1024
    }

    /// CPU seconds `pid` has used so far (user + system, from /proc), or nil once it is gone.
    public static func cpuSeconds(of pid: pid_t) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After "pid (comm)": state is field 0, utime 11, stime 12 (fields 14 and 15 of proc(5)).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
