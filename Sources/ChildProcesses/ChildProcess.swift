import Foundation
import Subprocess
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A child run to its end through swift-subprocess, stdout and stderr read as one stream with
/// only the first bytes kept, none of our descriptors inherited (the library closes every one
/// above 2 in the child), default signal handling. No thread is held while it runs: the library
/// waits for every child on one monitor thread (pidfd and epoll) and reads every pipe on one I/O
/// thread, for the life of the process.
///
/// Out of descriptors, swift-subprocess 1.0.2 must not be let near two of its paths: a descriptor
/// it fails to make after its first pipe stops the process (`fatalError("FileDescriptor … was not
/// closed")` in Configuration.swift), and a child whose pidfd it cannot open is waited for
/// forever (its SIGCHLD fallback is not armed where pidfds work). So the library makes exactly
/// one pipe per start, stdin and stderr are a /dev/null held here, a `/bin/sh` in front joins
/// stderr to stdout and then becomes the program (`exec`, same pid), and a start goes ahead only
/// when the pipe's two descriptors and the pidfd are free; otherwise it throws `StartFailure`.
public enum ChildProcess {
    /// How a child ended, and what it printed.
    public struct Outcome: Sendable {
        /// The child's pid (in a session of its own, also its process group's id).
        public var pid: pid_t
        public var ending: Ending
        /// The first bytes of its stdout and stderr, interleaved as written.
        public var output: [UInt8]

        /// The exit code, or 128 + N when signal N ended it, as a shell reports it.
        public var status: Int32 {
            switch ending {
            case .exited(let code): code
            case .signaled(let signal): 128 + signal
            }
        }
    }

    /// An exit with a code, or a signal.
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// Why a child could not be started: the system's words (say "Too many open files").
    public struct StartFailure: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Descriptors a start makes in this process: the output pipe's two ends and the child's pidfd.
    static let descriptorsPerStart = 3

    /// The /dev/null every child reads as stdin (and writes as stderr until the shell in front
    /// joins it to stdout), opened once and held, so a start opens nothing but its pipe.
    private static let nullDevice = Mutex<Int32>(-1)

    /// Runs `executable arguments…` to its end, reading its output all the while (a child
    /// blocked on a full pipe would never exit), keeping the first `keep` bytes and dropping the
    /// rest. Output a background grandchild writes after the child exits is not waited for.
    /// With `ownSession`, the child leads a new session and process group, and cancelling the
    /// calling task SIGKILLs that whole group; without, only the child. Either way the outcome
    /// then reports the kill.
    public static func run(_ executable: String, _ arguments: [String], keep: Int, ownSession: Bool = false) async throws -> Outcome {
        var options = PlatformOptions()
        if ownSession {
            // A session makes the child lead a new process group too; setting `processGroupID`
            // as well would send the library down its fork path, so the session alone does both.
            options.createSession = true
            // The sequence's last step is an implied SIGKILL aimed like this one: at the group.
            options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .zero)]
        }
        let joined = Arguments(["-c", "exec 2>&1; exec \"$0\" \"$@\"", executable] + arguments)
        // Left once: when the child is running, or when the start failed.
        let pass = await StartGate.shared.enter()
        let null: FileDescriptor
        do {
            null = try FileDescriptor(rawValue: openNullDevice())
            try reserve(descriptorsPerStart)
        } catch {
            await pass.leave()
            throw error
        }
        let result: ExecutionResult<(pid: pid_t, kept: [UInt8]), SequenceOutput, FileDescriptorOutput>
        do {
            result = try await Subprocess.run(
                .path("/bin/sh"), arguments: joined, environment: .inherit, platformOptions: options,
                input: .fileDescriptor(null, closeAfterSpawningProcess: false), output: .sequence,
                error: .fileDescriptor(null, closeAfterSpawningProcess: false)
            ) { execution in
                // The child exists and holds its pidfd: the next start may go.
                await pass.leave()
                var kept: [UInt8] = []
                do {
                    for try await chunk in execution.standardOutput {
                        let room = keep - kept.count
                        if room > 0 { chunk.withUnsafeBytes { kept.append(contentsOf: $0.prefix(room)) } }
                    }
                } catch {
                    // A read that fails ends the capture, not the child: its exit status still counts.
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
        let ending: Ending
        switch result.terminationStatus {
        case .exited(let code): ending = .exited(code)
        case .signaled(let signal): ending = .signaled(signal)
        }
        return Outcome(pid: result.closureResult.pid, ending: ending, output: result.closureResult.kept)
    }

    /// Opens the held /dev/null and starts the library's monitor and I/O threads, by running
    /// `true`. The library makes each thread once, on first use, and a failure then (EMFILE
    /// while a neighbour holds every descriptor) is kept for the life of the process: made at a
    /// long-lived process's start, they are there later even when descriptors run out.
    public static func prepare() async {
        _ = try? await run("/bin/true", [], keep: 0)
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
}
