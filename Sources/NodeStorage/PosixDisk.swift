import Glibc

/// The real file system through POSIX calls: real fsync, O_CLOEXEC on every descriptor, EINTR
/// retried, an flock for `lock`. What `NodeStorage.open(directory:options:logger:)` uses.
public struct PosixDisk: StorageDisk {
    /// Injected failures (a full disk, a failing fsync) for tests; nil in production.
    public let faults: DiskFaults?

    public init(faults: DiskFaults? = nil) {
        self.faults = faults
    }

    public var injectedFaults: DiskFaults? { faults }

    /// A new directory is 0700: only the node's own user reads what its files hold.
    public func makeDirectory(_ path: String) throws(StorageError) {
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw .io(operation: "create directory", file: path, errno: errno)
        }
    }

    public func list(_ directory: String) throws(StorageError) -> [String] {
        guard let d = opendir(directory) else { throw .io(operation: "list", file: directory, errno: errno) }
        defer { closedir(d) }
        var names: [String] = []
        while let ent = readdir(d) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func read(_ path: String, limit: Int) throws(StorageError) -> (size: Int, bytes: [UInt8]?) {
        var file = try PosixFile(path: path, flags: O_RDONLY, faults: nil)
        defer { file.close() }
        let size = try file.size()
        guard size <= limit else { return (size, nil) }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            var done = 0
            while done < size {
                let n = pread(file.fd, buf.baseAddress! + done, size - done, off_t(done))
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = errno; break }
                if n == 0 { break } // shrank while reading: keep what is there
                done += n
            }
            count = done
        }
        if failure != 0 { throw .io(operation: "read", file: path, errno: failure) }
        return (bytes.count, bytes)
    }

    public func openFile(_ path: String) throws(StorageError) -> any DiskFile {
        try PosixFile(path: path, flags: O_WRONLY, faults: faults)
    }

    public func createFile(_ path: String) throws(StorageError) -> any DiskFile {
        try PosixFile(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC, faults: faults)
    }

    /// An flock, retried for half a second when held: a process another thread of ours is
    /// spawning shares our descriptors until its exec closes them, and may briefly hold the
    /// lock of a storage we just closed. A node that really holds it keeps it far longer.
    public func lock(_ path: String) throws(StorageError) -> any DiskFile {
        var file = try PosixFile(path: path, flags: O_RDWR | O_CREAT, faults: nil)
        var failures = 0
        while flock(file.fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            failures += 1
            guard e == EWOULDBLOCK, failures < 50 else {
                file.close()
                throw .io(operation: "lock", file: path, errno: e)
            }
            usleep(10_000)
        }
        return file
    }

    public func rename(_ from: String, to: String) throws(StorageError) {
        guard Glibc.rename(from, to) == 0 else { throw .io(operation: "rename", file: "\(from) to \(to)", errno: errno) }
    }

    public func remove(_ path: String) throws(StorageError) {
        guard unlink(path) == 0 else { throw .io(operation: "remove", file: path, errno: errno) }
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        var dir = try PosixFile(path: path, flags: O_RDONLY | O_DIRECTORY, faults: faults)
        defer { dir.close() }
        try dir.sync()
    }
}
