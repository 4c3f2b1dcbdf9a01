import CSpawn
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A `/bin/sh -c` child for a shell task: in a process group of its own (so a cancel stops
/// everything it started), with default signal handling, and none of the node's descriptors
/// (an inherited socket would keep a port bound for as long as the command runs).
struct ShellProcess: Sendable {
    let pid: pid_t
    /// The read end of the pipe that carries the command's stdout and stderr.
    let output: Int32
    /// Whether the shell has been reaped. Until then its pid cannot name anyone else's process
    /// group; afterwards it may, so `kill` stops and waits are made under this lock.
    private let reaped = ReapGuard()

    /// The lock behind `reaped`.
    final class ReapGuard: Sendable {
        let done = Mutex(false)
    }

    init(pid: pid_t, output: Int32) {
        self.pid = pid
        self.output = output
    }

    static func start(_ command: String) throws -> ShellProcess {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        // Neither end may leak into a process spawned elsewhere in the node meanwhile.
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        flotilla_spawn_closefrom(&actions, 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let words: [String] = ["/bin/sh", "-c", command]
        let argv = words.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO)
        }
        return ShellProcess(pid: pid, output: fds[0])
    }

    /// Stops the command and everything it started, if the shell has not been reaped yet.
    func kill() {
        reaped.done.withLock { done in
            if !done { _ = Glibc.kill(-pid, SIGKILL) }
        }
    }

    /// Blocks until the shell exits, reading its output all the while and keeping the first
    /// `keep` bytes. Output a background child writes after the shell exits is not waited for.
    /// Returns the exit code (128 + N when killed by signal N) and the output kept.
    func finish(keep: Int) -> (status: Int32, output: Data) {
        var kept = Data()
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var exitStatus: Int32?
        var open = true
        func readOnce() -> Bool {
            let n = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if n > 0 {
                if kept.count < keep { kept.append(contentsOf: buffer[0..<min(n, keep - kept.count)]) }
                return true
            }
            if n < 0, errno == EINTR { return true }
            return false  // end of output, or (non-blocking) nothing more right now
        }
        while open, exitStatus == nil {
            var p = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 100)
            if ready > 0 { open = readOnce() }
            if exitStatus == nil { exitStatus = reap() }
        }
        // The shell is gone (or closed its output): take what is already in the pipe, without waiting for more.
        _ = fcntl(output, F_SETFL, fcntl(output, F_GETFL) | O_NONBLOCK)
        while open, readOnce() {}
        close(output)
        var status = exitStatus
        while status == nil {
            status = reap()
            if status == nil { usleep(10_000) }
        }
        return (status!, kept)
    }

    /// The exit code once the shell has exited (and is now reaped), else nil. Never blocks.
    private func reap() -> Int32? {
        reaped.done.withLock { done -> Int32? in
            var status: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(pid, &status, WNOHANG) } while r < 0 && errno == EINTR
            if r == 0 { return nil }
            done = true
            if r < 0 { return -1 }
            let signal = status & 0x7f
            return signal == 0 ? (status >> 8) & 0xff : 128 + signal
        }
    }
}
