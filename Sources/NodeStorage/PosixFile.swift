import Glibc

/// A file on the real disk, written with raw POSIX calls so `sync()` is a real fsync. Every
/// failure becomes a `StorageError.io` naming the file.
struct PosixFile: DiskFile {
    let path: String
    private(set) var fd: Int32
    let faults: DiskFaults?

    /// Opens (O_CLOEXEC added) or throws `.io(operation: "open", …)`. A created file is 0600:
    /// segments and snapshots hold tasks, their arguments and the cluster's members.
    init(path: String, flags: Int32, mode: mode_t = 0o600, faults: DiskFaults?) throws(StorageError) {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .io(operation: "open", file: path, errno: errno) }
        self.path = path
        self.fd = fd
        self.faults = faults
    }

    /// Writes all of `bytes` at `offset`, retrying short writes and EINTR.
    func write(_ bytes: [UInt8], at offset: Int) throws(StorageError) {
        var done = 0
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            while done < raw.count {
                var want = raw.count - done
                if let faults {
                    want = faults.reserve(want)
                    if want == 0 {
                        failure = ENOSPC
                        return
                    }
                }
                let n = pwrite(fd, raw.baseAddress! + done, want, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += n
            }
        }
        if failure != 0 { throw .io(operation: "write to", file: path, errno: failure) }
    }

    @discardableResult
    func sync() throws(StorageError) -> Duration {
        if let e = faults?.failFsync { throw .io(operation: "fsync", file: path, errno: e) }
        let start = ContinuousClock.now
        faults?.delaySync()
        while fsync(fd) != 0 {
            if errno != EINTR { throw .io(operation: "fsync", file: path, errno: errno) }
        }
        return ContinuousClock.now - start
    }

    func truncate(to size: Int) throws(StorageError) {
        while ftruncate(fd, off_t(size)) != 0 {
            if errno != EINTR { throw .io(operation: "truncate", file: path, errno: errno) }
        }
    }

    func size() throws(StorageError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(operation: "stat", file: path, errno: errno) }
        return Int(st.st_size)
    }

    mutating func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }
}
