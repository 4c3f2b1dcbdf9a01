import Glibc

/// Why the node's storage could not be opened or written. Every case says what to do.
public enum StorageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Damage on disk that recovery must not paper over: the node refuses to start.
    case corrupt(file: String, offset: Int, reason: String)
    /// A system call failed; `operation` reads like "write to", "fsync", "rename".
    case io(operation: String, file: String, errno: Int32)
    /// A caller broke the storage contract (a gap in the entries, a closed storage, bad options).
    case invalid(String)

    public var description: String {
        switch self {
        case let .corrupt(file, offset, reason):
            "\(file) is corrupt at offset \(offset): \(reason). Refusing to start: the file is damaged at offset "
                + "\(offset); restore this node's data from a peer (delete the data directory and rejoin the "
                + "cluster) or investigate the file"
        case let .io(operation, file, errno):
            "\(operation) \(file) failed: \(StorageError.message(errno)) (errno \(errno))"
        case let .invalid(why):
            why
        }
    }

    /// What is wrong, without the advice `description` adds (for damage recovery worked around).
    public var summary: String {
        if case let .corrupt(file, offset, reason) = self { return "\(file) is corrupt at offset \(offset): \(reason)" }
        return description
    }

    /// True for errors a node can survive by retrying later (no space, quota, file too large,
    /// no descriptor left for the process or the system: a new WAL segment waits for one).
    public var isRetryable: Bool {
        if case let .io(_, _, e) = self { return e == ENOSPC || e == EDQUOT || e == EFBIG || e == EMFILE || e == ENFILE }
        return false
    }

    static func message(_ errno: Int32) -> String {
        guard let s = strerror(errno) else { return "unknown error" }
        return String(cString: s)
    }
}
