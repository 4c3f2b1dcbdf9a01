import CLastWords
import FlotillaAPI
#if canImport(Glibc)
import Glibc
#endif

/// A node that dies says why on the last line of its log (stderr): a trap or fatal signal
/// through a signal handler, a fatal storage error or a broken invariant through `die`.
/// The orchestrator shows that line for a node that died without an operator's kill.
public enum LastWords {
    /// Installs the handler for traps and fatal signals; call once, early.
    public static func install(node: String) {
        flotilla_last_words_install(NodeLogLines.diedPrefix(node))
    }

    /// Writes `reason` as the log's last line and ends the process with `status` at once, so
    /// no other thread's output comes after it.
    public static func die(node: String, _ reason: String, status: Int32) -> Never {
        let line = "\n" + NodeLogLines.diedPrefix(node) + reason.split(separator: "\n").joined(separator: " ") + "\n"
        line.utf8CString.withUnsafeBufferPointer { p in _ = write(2, p.baseAddress, p.count - 1) }
        _exit(status)
    }
}
