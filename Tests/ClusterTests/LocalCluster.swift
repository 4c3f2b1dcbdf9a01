import FlotillaAPI
import AsyncHTTPClient
import CSpawn
import Foundation
import NIOCore
import NIOHTTP1
import Orchestrator
import Testing

/// A real local cluster for one test: `flotilla node` processes on free 127.0.0.1 ports in a
/// temp dir, stopped and removed at the end. Every wait polls with a deadline.
final class LocalCluster: @unchecked Sendable {
    let launcher: Launcher
    let spec: ClusterSpec
    let client: AdminClient
    let token: String
    /// The control plane over this cluster, as the CLI and the console use it.
    let control: ClusterControl
    let cluster: ClusterClient

    /// The `flotilla` binary built next to the test bundle, or `FLOTILLA_TEST_EXECUTABLE` (to run
    /// a scenario against another build, say main's, and see it fail there).
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["FLOTILLA_TEST_EXECUTABLE"], !path.isEmpty { return path }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bundle, bundle.deletingLastPathComponent()] {
            let candidate = dir.appendingPathComponent("flotilla").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/flotilla").path
    }

    /// Creates the cluster directory, lets `prepare` change it (say, mount a small file system
    /// for a node's data), then starts every node, each told of the cluster `told` gives it (its
    /// founders, `--peers`: the cluster itself, unless a test starts a founder with others).
    /// With `network`, each node runs in its host of that (built) namespace lab.
    init(nodes: Int, nodeArgs: [String] = ["--slots", "2"], mode: Launcher.StartMode = .founder,
         network: NetnsLab? = nil, prepare: (ClusterSpec) throws -> Void = { _ in },
         told: (ClusterSpec.NodeSpec, ClusterSpec) throws -> ClusterSpec = { $1 }) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-test-\(UUID().uuidString.prefix(8))").path
        launcher = Launcher(directory: dir, executable: LocalCluster.executable)
        spec = try launcher.create(nodes: nodes, nodeArgs: nodeArgs, network: network)
        try prepare(spec)
        token = try launcher.token()
        cluster = try ClusterClient.local(launcher)
        client = cluster.admin
        control = ClusterControl(client: cluster)
        for node in spec.nodes { try launcher.start(node, spec: try told(node, spec), mode: mode) }
    }

    var members: [(id: String, admin: String)] { spec.nodes.map { ($0.id, $0.adminAddress) } }

    func node(_ id: String) -> ClusterSpec.NodeSpec { spec.node(id)! }

    func view() async -> ClusterSnapshot { await cluster.poll() }

    /// Polls until `condition` holds for a view, or fails after `timeout`.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(20),
                 _ condition: (ClusterSnapshot) -> Bool) async throws -> ClusterSnapshot {
        let deadline = ContinuousClock.now + timeout
        var v = await view()
        while !condition(v) {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what); last view:\n\(v.table())\n\(logs())")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(50))
            v = await view()
        }
        return v
    }

    /// A leader that every answering node agrees on.
    func waitForLeader(timeout: Duration = .seconds(20), excluding: String? = nil) async throws -> NodeStatus {
        let v = try await waitFor("a leader", timeout: timeout) { v in
            guard let l = v.leader, l.id != excluding else { return false }
            return v.live.allSatisfy { $0.leader == l.id }
        }
        return v.leader!
    }

    func logs() -> String {
        ((try? launcher.load())?.nodes ?? spec.nodes).map { n in
            let text = (try? String(contentsOfFile: n.logFile, encoding: .utf8)) ?? ""
            return "--- \(n.id)\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    func shutdown() async {
        for node in (try? launcher.load())?.nodes ?? spec.nodes { _ = await launcher.stop(node, grace: .seconds(3)) }
        await client.shutdown()
        try? FileManager.default.removeItem(atPath: launcher.directory)
    }
}

/// How many test clusters run at once. Every process-level suite runs beside the others, and a
/// dozen clusters on a two-core machine leave none of them the CPU to elect a leader in time;
/// a test waits here (without holding a thread) until a slot is free.
actor ClusterSlots {
    static let shared = ClusterSlots(limit: 2)
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { free = limit }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

/// Runs `body` holding one of the cluster slots, released however it ends.
func withClusterSlot<T>(_ body: () async throws -> T) async throws -> T {
    await ClusterSlots.shared.acquire()
    do {
        let value = try await body()
        await ClusterSlots.shared.release()
        return value
    } catch {
        await ClusterSlots.shared.release()
        throw error
    }
}

/// Runs `body` with a fresh cluster (once a cluster slot is free) and always tears it down.
func withCluster(nodes: Int = 3, nodeArgs: [String] = ["--slots", "2"], mode: Launcher.StartMode = .founder,
                 prepare: (ClusterSpec) throws -> Void = { _ in },
                 told: (ClusterSpec.NodeSpec, ClusterSpec) throws -> ClusterSpec = { $1 },
                 _ body: (LocalCluster) async throws -> Void) async throws {
    try await withClusterSlot {
        try await runCluster(nodes: nodes, nodeArgs: nodeArgs, mode: mode, prepare: prepare, told: told, body)
    }
}

private func runCluster(nodes: Int, nodeArgs: [String], mode: Launcher.StartMode, prepare: (ClusterSpec) throws -> Void,
                        told: (ClusterSpec.NodeSpec, ClusterSpec) throws -> ClusterSpec,
                        _ body: (LocalCluster) async throws -> Void) async throws {
    let cluster = try LocalCluster(nodes: nodes, nodeArgs: nodeArgs, mode: mode, prepare: prepare, told: told)
    do {
        try await body(cluster)
    } catch {
        await cluster.shutdown()
        throw error
    }
    await cluster.shutdown()
}

/// A raw HTTP request that does not follow redirects, for checking status codes and headers
/// the typed client hides.
func rawRequest(_ method: String, _ url: String, body: Data? = nil, token: String? = nil) async throws
    -> (status: Int, headers: [String: String], body: Data) {
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    defer { _ = http.shutdown() }
    var request = HTTPClientRequest(url: url)
    request.method = HTTPMethod(rawValue: method)
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
    }
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    let response = try await http.execute(request, timeout: .seconds(10))
    let buffer = try await response.body.collect(upTo: 16 << 20)
    var headers: [String: String] = [:]
    for h in response.headers { headers[h.name.lowercased()] = h.value }
    return (Int(response.status.code), headers, Data(buffer.readableBytesView))
}

/// A POST whose body of `bytes` bytes is streamed without a length (chunked transfer encoding).
func chunkedRequest(_ url: String, bytes: Int, token: String?) async throws -> (status: Int, body: Data) {
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
    defer { _ = http.shutdown() }
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    let chunk = 64 * 1024
    let chunks = AsyncStream<ByteBuffer> { continuation in
        var left = bytes
        while left > 0 {
            continuation.yield(ByteBuffer(repeating: 0x20, count: min(chunk, left)))
            left -= chunk
        }
        continuation.finish()
    }
    request.body = .stream(chunks, length: .unknown)
    let response = try await http.execute(request, timeout: .seconds(10))
    let buffer = try await response.body.collect(upTo: 1 << 20)
    return (Int(response.status.code), Data(buffer.readableBytesView))
}

/// Watches a cluster's invariants in the background for a whole scenario; `verdict` ends it.
final class InvariantWatch: Sendable {
    let run: MonitorRun
    let cluster: ClusterClient
    let task: Task<Void, Never>

    init(_ c: LocalCluster) {
        let run = MonitorRun(control: c.control)
        self.run = run
        self.cluster = c.cluster
        task = Task { [cluster = c.cluster] in
            while !Task.isCancelled {
                await run.observe(await cluster.poll())
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Stops watching, checks the log hashes and the task table against `acknowledged`, and expects no violation.
    func verdict(acknowledged: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        task.cancel()
        await task.value
        let s = await cluster.poll()
        await run.observe(s)
        await run.probeHashes(s)
        try await run.checkTasks(acknowledged: acknowledged)
        let violations = await run.violations
        let verdict = await run.verdict
        let checks = await run.checks
        #expect(violations.isEmpty, "\(verdict)", sourceLocation: sourceLocation)
        #expect(checks >= 3, "the monitor saw the run", sourceLocation: sourceLocation)
    }
}

/// Starts `executable args…` with stdout and stderr appended to `log` and none of the test
/// process's descriptors (an inherited socket would outlive the test's own close of it).
func spawnProcess(_ executable: String, _ args: [String], log: String) throws -> pid_t {
    try spawn([executable] + args, stdout: log, append: true, stderrToo: true)
}

/// Starts `argv` with stdin and stderr on /dev/null and stdout to `stdout` (or /dev/null), none of
/// this process's other descriptors inherited (a tmux server forked from it would keep our sockets
/// open), and waits for it. Foundation's `Process` can miss the exit of a client whose child
/// daemonizes, so this reaps by hand. Returns the exit status.
func spawnAndWait(_ argv: [String], stdout: String? = nil) throws -> Int32 {
    let pid = try spawn(argv, stdout: stdout, append: false, stderrToo: false)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xff
}

private func spawn(_ argv: [String], stdout: String?, append: Bool, stderrToo: Bool) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o600)
    if stderrToo {
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
    } else {
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    }
    flotilla_spawn_closefrom(&actions, 3)
    let args = argv.map { strdup($0) } + [nil]
    defer { for a in args { free(a) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, argv[0], &actions, nil, args, environ)
    guard rc == 0 else { throw OrchestratorError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
    return pid
}

/// Polls until our child `pid` has exited and is reaped; its exit status, or nil if it still runs
/// after `within` (`Poll` looks once more after the deadline, so a starved poll never calls a
/// child that has long exited running).
@discardableResult
func reapProcess(_ pid: pid_t, within: Duration) async -> Int32? {
    await Poll.until(within, every: .milliseconds(20)) { () -> Int32? in
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        return r == pid ? status : r < 0 ? -1 : nil
    }
}

extension LocalCluster {
    /// The slowest of a few committed submits, by the caller's clock.
    func commitLatency() async throws -> Duration {
        let clock = ContinuousClock()
        var slowest = Duration.zero
        for _ in 0..<3 {
            let start = clock.now
            _ = try await control.submit(TaskSubmission(kind: "echo", args: ["text": "hi"]))
            slowest = max(slowest, clock.now - start)
        }
        return slowest
    }
}
