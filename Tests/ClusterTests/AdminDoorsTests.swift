import FlotillaAPI
import Foundation
import Orchestrator
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Every door of a node has a limit: a node that clients flood with connections, leave silent,
/// never read from, or send broken HTTP keeps its descriptors, memory and Raft timing, and
/// answers every refusal in JSON.
@Suite("Admin doors", .serialized)
struct AdminDoorsTests {
    static func port(_ address: String) -> Int { Int(address.split(separator: ":").last!)! }

    /// A value from the node's /metrics text: the sample named exactly `sample` (with its labels).
    static func metric(_ c: LocalCluster, _ address: String, _ sample: String) async throws -> Double? {
        let r = try await rawRequest("GET", "http://\(address)/metrics")
        for line in String(decoding: r.body, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == sample { return Double(fields[1]) }
        }
        return nil
    }

    static func submit(_ c: LocalCluster, _ address: String, key: String, text: String = "x") async throws -> SubmitResult {
        try await c.client.call("POST", address, "/v1/tasks", body: TaskSubmission(kind: "echo", args: ["text": text], key: key))
    }

    /// The resident memory of process `pid`, in MB.
    static func residentMB(_ pid: pid_t) -> Double {
        for line in readProcFile("/proc/\(pid)/status").split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Double(line.split(separator: " ", omittingEmptySubsequences: true)[1]).map { $0 / 1024 } ?? 0
        }
        return 0
    }

    /// Requests the HTTP parser refuses, each answered `{"error", "code"}` with a 4xx, then closed.
    static let malformed: [String: String] = [
        "a 1 MB header": "GET /v1/status HTTP/1.1\r\nHost: n\r\nX-Big: \(String(repeating: "a", count: 1 << 20))\r\n\r\n",
        "20,000 headers": "GET /v1/status HTTP/1.1\r\nHost: n\r\n" + (0..<20_000).map { "X-H\($0): v\r\n" }.joined() + "\r\n",
        "two Content-Lengths": "POST /v1/tasks HTTP/1.1\r\nHost: n\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            + "Content-Length: 3\r\n\r\n{}",
        "Content-Length with chunked": "POST /v1/tasks HTTP/1.1\r\nHost: n\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    ]

    @Test func malformedFramingIsAnsweredInJSONThenClosed() async throws {
        try await withCluster(nodes: 1) { c in
            let leader = try await c.waitForLeader()
            let port = Self.port(leader.adminAddress)
            for (name, request) in Self.malformed.sorted(by: { $0.key < $1.key }) {
                let (answer, closed) = try await offThePool { () -> (RawResponse?, Bool) in
                    let conn = try RawConnection(port: port)
                    defer { conn.close() }
                    _ = conn.send(request)
                    let (bytes, closed) = conn.readUntilClosed(within: .seconds(10))
                    return (RawResponse(bytes), closed)
                }
                let response = try #require(answer, "\(name): an answer")
                #expect((400..<500).contains(response.status), "\(name): \(response.status)")
                #expect(response.headers["content-type"] == "application/json", "\(name): \(response.headers)")
                let error = try? JSONDecoder().decode(APIError.self, from: response.body)
                #expect(error != nil && !(error?.error.isEmpty ?? true), "\(name): body \(String(decoding: response.body, as: UTF8.self))")
                #expect(closed, "\(name): the connection is closed after the answer")
            }
            // Nothing was lost: the node still answers, and takes a write.
            _ = try await Self.submit(c, leader.adminAddress, key: "after-malformed")
        }
    }

    @Test func connectionsThatSendNoRequestHeadAreClosed() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "2", "--header-timeout-ms", "500"]) { c in
            let leader = try await c.waitForLeader()
            let port = Self.port(leader.adminAddress)
            let (silentClosed, dribbleClosed, elapsed) = try await offThePool { () -> (Bool, Bool, Duration) in
                let started = ContinuousClock.now
                let silent = try RawConnection(port: port)
                let dribble = try RawConnection(port: port)
                defer { silent.close(); dribble.close() }
                dribble.send("GET /v1/status HTTP/1.1\r\nHo")
                let a = silent.readUntilClosed(within: .seconds(8)).closed
                let b = dribble.readUntilClosed(within: .seconds(8)).closed
                return (a, b, ContinuousClock.now - started)
            }
            #expect(silentClosed, "a connection that sends nothing is closed")
            #expect(dribbleClosed, "a connection that never completes its head is closed")
            #expect(elapsed < .seconds(5), "closed after the 0.5 s header timeout: \(elapsed)")
            #expect(try await Self.metric(c, leader.adminAddress, "flotilla_admin_connections_closed_total{reason=\"header-timeout\"}") ?? 0 >= 2)
        }
    }

    @Test func aConnectionIdleBetweenRequestsIsClosed() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "2", "--idle-timeout-ms", "500"]) { c in
            let leader = try await c.waitForLeader()
            let port = Self.port(leader.adminAddress)
            let (answered, closed, elapsed) = try await offThePool { () -> (Bool, Bool, Duration) in
                let conn = try RawConnection(port: port)
                defer { conn.close() }
                conn.send("GET /v1/health HTTP/1.1\r\nHost: n\r\n\r\n")
                let answered = conn.readResponse(within: .seconds(5))?.status == 200
                let started = ContinuousClock.now
                let closed = conn.readUntilClosed(within: .seconds(8)).closed
                return (answered, closed, ContinuousClock.now - started)
            }
            #expect(answered)
            #expect(closed && elapsed < .seconds(5), "a keep-alive connection idle past 0.5 s is closed: \(closed) after \(elapsed)")
        }
    }

    /// Past the cap, a new connection closes the oldest one that has sent no request head: 30
    /// silent connections cannot keep a request out of a node that serves 20 at once. Once
    /// every connection is busy (event streams), the next waits until one closes.
    @Test func connectionsBeyondTheCapCloseTheOldestSilentOneOrWait() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "2", "--max-admin-connections", "20", "--header-timeout-ms", "30000",
                                                   "--write-stall-ms", "30000"]) { c in
            let leader = try await c.waitForLeader()
            let port = Self.port(leader.adminAddress)
            let (served, silentClosed) = try await offThePool { () -> (RawResponse?, Int) in
                let silent = try (0..<30).map { _ in try RawConnection(port: port) }
                defer { for s in silent { s.close() } }
                let late = try RawConnection(port: port)
                defer { late.close() }
                late.send("GET /v1/health HTTP/1.1\r\nHost: n\r\n\r\n")
                let served = late.readResponse(within: .seconds(10))
                // Those closed to make room are closed by the time the late one is served.
                return (served, silent.filter { $0.readUntilClosed(within: .milliseconds(100)).closed }.count)
            }
            #expect(served?.status == 200, "served past 30 silent connections and a cap of 20")
            #expect(silentClosed >= 10 && silentClosed < 30, "silent connections made room: \(silentClosed) of 30 closed")
            #expect(try await Self.metric(c, leader.adminAddress, "flotilla_admin_connections_closed_total{reason=\"crowded\"}") ?? 0 >= 11)

            // Event streams, one at a time, each answered before the next connects, until one
            // waits: the cap, less the test harness's own status watch.
            let (streamsServed, waitedAnswer) = try await offThePool { () -> (Int, Bool) in
                var streams: [RawConnection] = []
                defer { for s in streams { s.close() } }
                for _ in 0..<25 {
                    let s = try RawConnection(port: port)
                    s.send("GET /v1/events HTTP/1.1\r\nHost: n\r\n\r\n")
                    guard s.readHead(within: .seconds(2)) else {
                        defer { s.close() }
                        // Busy connections are never closed to make room: it waits until they end.
                        let count = streams.count
                        let stillOpen = streams.filter { !$0.readUntilClosed(within: .milliseconds(50)).closed }.count
                        guard stillOpen == count else { throw RawConnectionError("\(count - stillOpen) busy streams were closed") }
                        for stream in streams { stream.close() }
                        streams = []
                        // The node finds the streams gone by their next keep-alive (15 s on a quiet node).
                        return (count, s.readHead(within: .seconds(40)))
                    }
                    streams.append(s)
                }
                return (streams.count, false)
            }
            #expect(streamsServed >= 15 && streamsServed <= 20, "streams served before one had to wait: \(streamsServed)")
            #expect(waitedAnswer, "the one that waited is served once a stream ends")
        }
    }

    /// With the open-file limit cut to 200 under it, 400 idle connections and writes through
    /// many WAL segment switches: the node stays alive, holds no more connections than its
    /// descriptors allow (a new one closes the oldest silent one, so a request still gets in),
    /// takes every write, and serves again once the connections close.
    @Test func runningShortOfDescriptorsRefusesConnectionsAndKillsNothing() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "2", "--max-admin-connections", "5000", "--header-timeout-ms", "60000",
                                                   "--wal-segment-bytes", "65536"]) { c in
            let leader = try await c.waitForLeader()
            let node = c.spec.nodes[0]
            let pid = try #require(c.launcher.pid(of: node))
            let port = Self.port(leader.adminAddress)
            let token = c.token
            let result = try await offThePool { () -> (probed: Bool, opened: Int, created: Int, statuses: [Int], servedAgain: Bool) in
                // A keep-alive client that has asked once: never taken for a silent one.
                let writer = try RawConnection(port: port)
                defer { writer.close() }
                writer.send("GET /v1/health HTTP/1.1\r\nHost: n\r\n\r\n")
                guard writer.readResponse(within: .seconds(10))?.status == 200 else { throw RawConnectionError("no first answer") }
                guard try spawnAndWait(["/usr/bin/prlimit", "--nofile=200", "-p", "\(pid)"]) == 0 else {
                    throw RawConnectionError("prlimit failed")
                }
                // Past the descriptors the node keeps for its own files, each new connection
                // closes the oldest silent one.
                var idle: [RawConnection] = []
                while idle.count < 400, let conn = try? RawConnection(port: port, timeout: .seconds(1)) { idle.append(conn) }
                var probed = false
                if let probe = try? RawConnection(port: port, timeout: .seconds(1)) {
                    probe.send("GET /v1/health HTTP/1.1\r\nHost: n\r\n\r\n")
                    probed = probe.readResponse(within: .seconds(5))?.status == 200
                    probe.close()
                }
                var created = 0
                var statuses: [Int] = []
                let text = String(repeating: "w", count: 2000)
                for i in 0..<300 {
                    let body = #"{"kind":"echo","args":{"text":"\#(text)"},"key":"fd-\#(i)"}"#
                    writer.send("POST /v1/tasks HTTP/1.1\r\nHost: n\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\n"
                                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
                    guard let r = writer.readResponse(within: .seconds(10)) else { break }
                    if r.status == 201 { created += 1 } else { statuses.append(r.status) }
                }
                for conn in idle { conn.close() }
                var servedAgain = false
                let deadline = ContinuousClock.now + .seconds(15)
                while !servedAgain, ContinuousClock.now < deadline {
                    guard let again = try? RawConnection(port: port) else { continue }
                    again.send("GET /v1/health HTTP/1.1\r\nHost: n\r\n\r\n")
                    servedAgain = again.readResponse(within: .seconds(2))?.status == 200
                    again.close()
                }
                return (probed, idle.count, created, statuses, servedAgain)
            }
            #expect(kill(pid, 0) == 0, "the node is alive")
            #expect(result.probed, "a request is served past \(result.opened) silent connections near the descriptor limit")
            #expect(result.created == 300, "every write through the segment switches is taken: \(result.created), others \(result.statuses)")
            #expect(result.servedAgain, "the node serves new connections once the idle ones close")
            let segments = try FileManager.default.contentsOfDirectory(atPath: "\(node.dataDir)/wal")
            print("descriptors: \(result.opened) idle connections opened, \(result.created) writes, \(segments.count) WAL segments")
            #expect(segments.count > 5, "the writes crossed segment switches: \(segments.count) segments")
            #expect(!c.logs().contains("storage failed"), "no storage failure")
        }
    }

    /// 200 event-stream clients that never read, beside 200 writes a second: no election, and
    /// each stream is closed once its socket stays full.
    @Test func nonReadingEventStreamsAreDroppedAndCauseNoElection() async throws {
        try await withCluster(nodes: 3, nodeArgs: ["--slots", "2", "--write-stall-ms", "2000"]) { c in
            let leader = try await c.waitForLeader()
            let before = await c.view().nodes.compactMap { $0.status?.term }
            let port = Self.port(leader.adminAddress)
            let streams = try await offThePool { () -> [RawConnection] in
                try (0..<200).map { _ in
                    let conn = try RawConnection(port: port, receiveBuffer: 4096)
                    conn.send("GET /v1/events HTTP/1.1\r\nHost: n\r\n\r\n")
                    return conn
                }
            }
            defer { for s in streams { s.close() } }
            try await eventually("200 open event streams") {
                try await Self.metric(c, leader.adminAddress, "flotilla_event_streams") ?? 0 >= 200
            }
            // 200 writes a second for 15 s.
            let clock = ContinuousClock()
            let start = clock.now
            var i = 0
            while clock.now - start < .seconds(15) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for j in 0..<20 {
                        let key = "load-\(i)-\(j)"
                        group.addTask { _ = try await Self.submit(c, leader.adminAddress, key: key) }
                    }
                    for try await _ in group {}
                }
                i += 1
                try await Task.sleep(until: start + .milliseconds(100 * i), clock: clock)
            }
            let after = await c.view().nodes.compactMap { $0.status?.term }
            #expect(before.count == 3 && after == before, "no election under the load: terms \(before) -> \(after)")
            try await eventually("every non-reading stream to be closed", timeout: .seconds(30)) {
                try await Self.metric(c, leader.adminAddress, "flotilla_event_streams") ?? 1 == 0
            }
            #expect(try await Self.metric(c, leader.adminAddress, "flotilla_admin_connections_closed_total{reason=\"write-stall\"}") ?? 0 >= 200)
        }
    }

    /// A stream whose client stops reading while more than --event-lag events happen, then reads
    /// again, gets a final `event: dropped` saying why, and the stream ends.
    @Test func aStreamThatFellBehindEndsWithADroppedEvent() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "2", "--event-lag", "50", "--write-stall-ms", "60000"]) { c in
            let leader = try await c.waitForLeader()
            let port = Self.port(leader.adminAddress)
            let stream = try await offThePool { () -> RawConnection in
                let conn = try RawConnection(port: port, receiveBuffer: 4096)
                conn.send("GET /v1/events HTTP/1.1\r\nHost: n\r\n\r\n")
                return conn
            }
            defer { stream.close() }
            // Far more events than the socket and the node's buffer hold (about 200 KiB), unread.
            for batch in 0..<25 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for j in 0..<20 {
                        group.addTask { _ = try await Self.submit(c, leader.adminAddress, key: "lag-\(batch)-\(j)", text: String(repeating: "e", count: 400)) }
                    }
                    for try await _ in group {}
                }
            }
            // The chunked body's last chunk, or the connection's end.
            let (bytes, closed) = try await offThePool { stream.read(untilSuffix: "\r\n0\r\n\r\n", within: .seconds(20)) }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.contains("event: dropped\ndata: {\"reason\":\"this stream fell"), "the stream's end: \(text.suffix(300))")
            #expect(closed || text.hasSuffix("\r\n0\r\n\r\n"), "the stream ended")
            #expect(try await Self.metric(c, leader.adminAddress, "flotilla_event_streams_dropped_total") ?? 0 >= 1)
        }
    }

    /// 20 clients that ask for the largest task page (1,000 tasks of 1 KB) and never read: at most 8 answers are held and
    /// 2 built at once, so memory stays bounded; their connections are closed and what they
    /// held is freed.
    @Test func nonReadingTaskListClientsDoNotGrowMemory() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "0", "--write-stall-ms", "3000"]) { c in
            let leader = try await c.waitForLeader()
            let pid = try #require(c.launcher.pid(of: c.spec.nodes[0]))
            let text = String(repeating: "t", count: 1000)
            for batch in 0..<100 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for j in 0..<50 {
                        group.addTask { _ = try await Self.submit(c, leader.adminAddress, key: "big-\(batch)-\(j)", text: text) }
                    }
                    for try await _ in group {}
                }
            }
            let port = Self.port(leader.adminAddress)
            let token = c.token
            let baseline = Self.residentMB(pid)
            let clients = try await offThePool { () -> [RawConnection] in
                try (0..<20).map { _ in
                    let conn = try RawConnection(port: port, receiveBuffer: 4096)
                    conn.send("GET /v1/tasks?limit=1000 HTTP/1.1\r\nHost: n\r\nAuthorization: Bearer \(token)\r\n\r\n")
                    return conn
                }
            }
            defer { for client in clients { client.close() } }
            var peak = baseline
            let clock = ContinuousClock()
            let start = clock.now
            while clock.now - start < .seconds(12) {
                peak = max(peak, Self.residentMB(pid))
                try await Task.sleep(for: .milliseconds(50))
            }
            print("task-list non-readers: resident \(Int(baseline)) MB before, \(Int(peak)) MB at the peak")
            #expect(peak - baseline < 250, "resident memory grew \(Int(peak - baseline)) MB (from \(Int(baseline)) MB) for 20 non-readers")
            // Those holding an answer slot (8 at a time) are closed when their writes stall; one
            // waiting longer than 5 s for a slot is answered 503 instead, which fits its socket.
            try await eventually("the non-readers' connections to be closed", timeout: .seconds(30)) {
                try await Self.metric(c, leader.adminAddress, "flotilla_admin_connections_closed_total{reason=\"write-stall\"}") ?? 0 >= 8
            }
            // What they held is given back: the node does not keep their answers for ever.
            try await eventually("resident memory back near where it was", timeout: .seconds(20)) {
                Self.residentMB(pid) - baseline < 40
            }
        }
    }

    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func filesThatHoldTasksOrTokensAreOwnerOnly() async throws {
        try await withCluster(nodes: 1, nodeArgs: ["--slots", "2", "--snapshot-every", "50"]) { c in
            let leader = try await c.waitForLeader()
            for i in 0..<120 { _ = try await Self.submit(c, leader.adminAddress, key: "mode-\(i)") }
            let node = c.spec.nodes[0]
            try await eventually("a snapshot on disk") {
                !((try? FileManager.default.contentsOfDirectory(atPath: "\(node.dataDir)/snap")) ?? []).isEmpty
            }
            let dir = c.launcher.directory
            var expected: [String: Int] = [dir: 0o700, "\(dir)/n1": 0o700, node.dataDir: 0o700, "\(node.dataDir)/wal": 0o700,
                                           "\(node.dataDir)/snap": 0o700, "\(dir)/cluster.json": 0o600, "\(dir)/token": 0o600,
                                           node.logFile: 0o600, node.pidFile: 0o600]
            for sub in ["wal", "snap"] {
                for name in try FileManager.default.contentsOfDirectory(atPath: "\(node.dataDir)/\(sub)") where !name.hasSuffix(".tmp") {
                    expected["\(node.dataDir)/\(sub)/\(name)"] = 0o600
                }
            }
            for (path, want) in expected.sorted(by: { $0.key < $1.key }) {
                #expect(Self.mode(path) == want, "\(path) is \(String(Self.mode(path), radix: 8)), want \(String(want, radix: 8))")
            }
        }
    }
}
