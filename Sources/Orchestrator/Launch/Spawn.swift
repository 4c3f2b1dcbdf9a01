import CSpawn
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Process plumbing for the launcher.
enum Spawn {
    /// Starts `executable args…` detached in a new session, stdout and stderr appended to `log`.
    /// posix_spawn by hand, not swift-subprocess: a node or etcd member must outlive `flotilla up`,
    /// and every swift-subprocess `run` waits for its child ("The subprocess must terminate before
    /// this method returns."; its `Execution` is "valid only for the duration of the call").
    static func background(_ executable: String, _ args: [String], log: String) throws -> pid_t {
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0o600)  // a node's log quotes its tasks
        guard fd >= 0 else { throw OrchestratorError("cannot open \(log): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fd, 1)
        posix_spawn_file_actions_adddup2(&actions, fd, 2)
        // Nothing else of ours leaks into the node: an inherited socket would outlive our close of
        // it (the peer never sees EOF, a port stays bound) for as long as the node runs.
        flotilla_spawn_closefrom(&actions, 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, 0x80)  // POSIX_SPAWN_SETSID (glibc), not imported into Swift
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attr, argv, environ)
        guard rc == 0 else { throw OrchestratorError("cannot start \(executable): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Polls until `pid` is gone (reaping it if it is our child), up to `within`.
    static func waitForExit(_ pid: pid_t, within: Duration) async -> Bool {
        await Poll.until(within, every: .milliseconds(20)) { () -> Bool? in
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
            return isAlive(pid) ? nil : true
        } ?? false
    }
}

/// Whether `pid` is a live process. A zombie (dead, not yet reaped by a parent that is not us,
/// such as a console that started the node) counts as dead.
func isAlive(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let state = Spawn.state(of: pid)
    return state != "Z" && state != "X"
}

extension Spawn {
    /// The state letter of /proc/PID/stat ("pid (comm) S …"): R, S, T (stopped), Z (zombie), …; nil if unreadable.
    static func state(of pid: pid_t) -> Character? {
        let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0, let close = buffer[..<n].lastIndex(of: UInt8(ascii: ")")), close + 2 < n else { return nil }
        return Character(Unicode.Scalar(buffer[close + 2]))
    }
}

/// Free TCP ports on 127.0.0.1 for servers we start, drawn at random below the kernel's ephemeral
/// range (`ip_local_port_range`). A port the kernel handed out by binding port 0 is an ephemeral
/// one: once we close it, any outgoing connection on the machine may take it as its source port
/// before the node or etcd member we start binds it, and that member then dies with "address
/// already in use". Below the range no connect() ever picks it; each port is checked free by
/// binding it, and one process never hands out the same port twice in a row.
public enum FreePorts {
    public static func take(_ count: Int) throws -> [Int] {
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        var ports: [Int] = []
        let range = drawRange()
        var attempts = 0
        while ports.count < count {
            attempts += 1
            let wanted = range.flatMap { r in attempts <= 4096 ? Int.random(in: r) : nil }
            if let wanted, ports.contains(wanted) || recent.withLock({ $0.contains(wanted) }) { continue }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw OrchestratorError("socket() failed: \(String(cString: strerror(errno)))") }
            fds.append(fd)
            switch bindLoopback(fd, port: wanted ?? 0) {
            case let port?: ports.append(port)
            case nil where wanted == nil: throw OrchestratorError("bind() failed: \(String(cString: strerror(errno)))")
            case nil: continue  // taken: draw another
            }
        }
        recent.withLock { r in
            r.append(contentsOf: ports)
            if r.count > 512 { r.removeFirst(r.count - 512) }
        }
        return ports
    }

    /// Ports handed out lately by this process: a member may not have bound its port yet.
    private static let recent = Mutex<[Int]>([])

    /// 20000 up to the first ephemeral port, or nil (bind port 0) when that leaves too few.
    static func drawRange() -> ClosedRange<Int>? {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        guard let low = text.split(whereSeparator: \.isWhitespace).first.flatMap({ Int($0) }), low > 21_000 else { return nil }
        return 20_000...(low - 1)
    }

    /// Binds `fd` to 127.0.0.1:`port` (0: any) and returns the bound port, or nil when bind fails.
    private static func bindLoopback(_ fd: Int32, port: Int) -> Int? {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { return nil }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
