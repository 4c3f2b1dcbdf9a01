import Foundation
import Subprocess
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A shell task's `/bin/sh -c` child, started through swift-subprocess: in a session (and so a
/// process group) of its own, so a cancel stops everything it started; with default signal
/// handling; and with none of the node's descriptors (the library closes every descriptor above
/// 2 in the child: an inherited socket would keep a port bound for as long as the command runs).
///
/// Nothing here holds a thread while the command runs: the library waits for every child on one
/// monitor thread (pidfd and epoll) and reads every pipe on one I/O thread, for the life of the node.
///
/// Out of descriptors, swift-subprocess 1.0.2 must not be let near two of its paths: a descriptor
/// it fails to make after its first pipe stops the process (`fatalError("FileDescriptor … was not
/// closed")` in Configuration.swift), and a child whose pidfd it cannot open is waited for
/// forever (its SIGCHLD fallback is not armed where pidfds work). So the library makes exactly
/// one pipe per start, stdin and stderr are a /dev/null this type holds, the shell itself joins
/// stderr to stdout, and a start goes ahead only when the pipe's two descriptors and the pidfd
/// are free; otherwise the task fails saying so.
enum ShellProcess {
    /// How a command ended.
    struct Outcome: Sendable {
        /// The shell's pid, which is also its process group's id.
        var pid: pid_t
        /// The exit code, or 128 + N when a signal N killed the shell.
        var status: Int32
        /// The first bytes of its stdout and stderr, interleaved as written.
        var output: Data
    }

    /// Why a command could not be started.
    struct StartFailure: Error, CustomStringConvertible {
        var reason: String
        var description: String { "could not start /bin/sh: \(reason)" }
    }

    /// Descriptors a start makes in this process: the output pipe's two ends and the child's pidfd.
    static let descriptorsPerStart = 3

    /// The /dev/null every child reads as stdin (and writes as stderr until the shell joins it to
    /// stdout), opened once and held, so a start opens nothing but its pipe.
    private static let nullDevice = Mutex<Int32>(-1)

    /// Runs `command` to its end, reading its output all the while (a child blocked on a full
    /// pipe would never exit), keeping the first `keep` bytes and dropping the rest, so a command
    /// that prints a gigabyte costs the node `keep` bytes. Output a background child writes after
    /// the shell exits is not waited for. Cancelling the calling task SIGKILLs the shell's whole
    /// process group; the outcome then reports 137.
    static func run(_ command: String, keep: Int) async throws -> Outcome {
        var options = PlatformOptions()
        // A session makes the shell lead a new process group too; setting `processGroupID` as
        // well would send the library down its fork path, so the session alone does both.
        options.createSession = true
        // The sequence's last step is an implied SIGKILL aimed like this one: at the group.
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .zero)]
        // The outer shell sends stderr where stdout goes, then becomes exactly `/bin/sh -c command`
        // (same pid, so same session and group).
        let arguments = Arguments(["-c", "exec 2>&1; exec /bin/sh -c \"$1\"", "sh", command])
        // Left once: when the child is running, or when the start failed.
        let pass = await ShellStartGate.shared.enter()
        let null: FileDescriptor
        do {
            null = try FileDescriptor(rawValue: openNullDevice())
            try reserve(descriptorsPerStart)
        } catch {
            await pass.leave()
            throw error
        }
        let result: ExecutionResult<(pid: pid_t, kept: Data), SequenceOutput, FileDescriptorOutput>
        do {
            result = try await Subprocess.run(
                .path("/bin/sh"), arguments: arguments, environment: .inherit, platformOptions: options,
                input: .fileDescriptor(null, closeAfterSpawningProcess: false), output: .sequence,
                error: .fileDescriptor(null, closeAfterSpawningProcess: false)
            ) { execution in
                // The child exists and holds its pidfd: the next start may go.
                await pass.leave()
                var kept = Data()
                do {
                    for try await chunk in execution.standardOutput {
                        let room = keep - kept.count
                        if room > 0 { chunk.withUnsafeBytes { kept.append(contentsOf: $0.prefix(room)) } }
                    }
                } catch {
                    // A read that fails ends the capture, not the command: its exit status still counts.
                }
                return (execution.processIdentifier.value, kept)
            }
        } catch let error as SubprocessError {
            await pass.leave()
            throw StartFailure(reason: error.underlyingError.map { "\($0)" } ?? "\(error)")
        } catch {
            await pass.leave()
            throw error
        }
        let status: Int32
        switch result.terminationStatus {
        case .exited(let code): status = code
        case .signaled(let signal): status = 128 + signal
        }
        return Outcome(pid: result.closureResult.pid, status: status, output: result.closureResult.kept)
    }

    /// The held /dev/null, opened now if it is not open yet.
    private static func openNullDevice() throws -> Int32 {
        try nullDevice.withLock { fd in
            if fd < 0 {
                fd = open("/dev/null", O_RDWR | O_CLOEXEC)
                if fd < 0 { throw StartFailure(reason: String(cString: strerror(errno))) }
            }
            return fd
        }
    }

    /// Throws unless `count` more descriptors can be opened now (they are opened and closed again).
    private static func reserve(_ count: Int) throws {
        let null = try openNullDevice()
        var taken: [Int32] = []
        defer { for fd in taken { close(fd) } }
        for _ in 0..<count {
            let fd = fcntl(null, F_DUPFD_CLOEXEC, 0)
            if fd < 0 { throw StartFailure(reason: String(cString: strerror(errno))) }
            taken.append(fd)
        }
    }

    /// Opens the held /dev/null and starts the library's monitor and I/O threads, by running
    /// `true`. The library makes each thread once, on first use, and a failure then (EMFILE
    /// while a neighbour holds every descriptor) is kept for the life of the process: made at the
    /// node's start, they are there for a later task even when descriptors run out.
    static func prepare() async {
        _ = try? await run("true", keep: 0)
    }
}
