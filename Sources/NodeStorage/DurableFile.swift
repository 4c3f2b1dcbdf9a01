import Glibc

/// An open file written with raw POSIX calls, so `sync()` is a real fsync. Every failure
/// becomes a `StorageError.io` naming the file. Not thread-safe; owned by `NodeStorage`.
struct DurableFile {
    let path: String
    private(set) var fd: Int32
    let faults: DiskFaults?

    /// Opens (O_CLOEXEC added) or throws `.io(operation: "open", …)`.
    init(path: String, flags: Int32, mode: mode_t = 0o644, faults: DiskFaults?) throws(StorageError) {
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

    func sync() throws(StorageError) {
        if let e = faults?.failFsync { throw .io(operation: "fsync", file: path, errno: e) }
        while fsync(fd) != 0 {
            if errno != EINTR { throw .io(operation: "fsync", file: path, errno: errno) }
        }
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

    // MARK: - Whole-file and directory operations

    /// Reads a whole file, or returns its size alone when that exceeds `limit`.
    static func read(_ path: String, limit: Int) throws(StorageError) -> (size: Int, bytes: [UInt8]?) {
        var file = try DurableFile(path: path, flags: O_RDONLY, faults: nil)
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

    /// Makes a directory's entries (created, renamed, removed files) durable.
    static func syncDirectory(_ path: String, faults: DiskFaults?) throws(StorageError) {
        var dir = try DurableFile(path: path, flags: O_RDONLY | O_DIRECTORY, faults: faults)
        defer { dir.close() }
        try dir.sync()
    }

    static func rename(_ from: String, to: String) throws(StorageError) {
        guard Glibc.rename(from, to) == 0 else { throw .io(operation: "rename", file: "\(from) to \(to)", errno: errno) }
    }

    static func remove(_ path: String) throws(StorageError) {
        guard unlink(path) == 0 else { throw .io(operation: "remove", file: path, errno: errno) }
    }

    static func makeDirectory(_ path: String) throws(StorageError) {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw .io(operation: "create directory", file: path, errno: errno)
        }
    }

    /// The names in a directory (no "." or "..").
    static func list(_ path: String) throws(StorageError) -> [String] {
        guard let d = opendir(path) else { throw .io(operation: "list", file: path, errno: errno) }
        defer { closedir(d) }
        var names: [String] = []
        while let ent = readdir(d) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
