import ChildProcesses

/// A shell task's `/bin/sh -c` child: in a session (and so a process group) of its own, so a
/// cancel stops everything it started, and with none of the node's descriptors (an inherited
/// socket would keep a port bound for as long as the command runs). Started through
/// `ChildProcess`, which holds no thread per child and fails a start cleanly when descriptors run out.
enum ShellProcess {
    /// Runs `command` to its end, keeping the first `keep` bytes of its stdout and stderr and
    /// reading and dropping the rest, so a command that prints a gigabyte costs the node `keep`
    /// bytes. Output a background child writes after the shell exits is not waited for.
    /// Cancelling the calling task SIGKILLs the shell's whole process group (status 137).
    static func run(_ command: String, keep: Int) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run("/bin/sh", ["-c", command], keep: keep, ownSession: true)
    }

    /// Makes the child-process machinery now, while descriptors are plenty (see `ChildProcess.prepare`).
    static func prepare() async {
        await ChildProcess.prepare()
    }
}
