import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files and directories only the cluster's own user may read: cluster.json names every node's
/// addresses and the token file, pid files say which process to signal, logs quote tasks.
/// Files are 0600 from the moment they exist, directories 0700.
enum PrivateFiles {
    /// Creates `path` (and missing parents) as 0700; an existing directory keeps its mode.
    static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    /// Replaces `path` atomically with `bytes`: written to a 0600 temporary file beside it, then renamed.
    static func write(_ bytes: Data, to path: String) throws {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw OrchestratorError("cannot write \(path): \(String(cString: strerror(errno)))") }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        close(fd)
        guard failure == 0, rename(temporary, path) == 0 else {
            let why = String(cString: strerror(failure != 0 ? failure : errno))
            unlink(temporary)
            throw OrchestratorError("cannot write \(path): \(why)")
        }
    }

    /// `text` as UTF-8, through `write(_:to:)`.
    static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
