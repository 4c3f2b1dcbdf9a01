import Glibc

/// A file open on a `MemoryDisk`: the inode it refers to, so it keeps working after the file
/// is renamed or removed, as a descriptor does.
struct MemoryDiskFile: DiskFile {
    let path: String
    let disk: MemoryDisk
    let inode: Int
    /// The disk's crash count when opened: a crash closes every file.
    let generation: UInt64
    /// The path this file holds the lock of, released on close.
    let lock: String?
    private var isOpen = true

    init(path: String, disk: MemoryDisk, inode: Int, generation: UInt64, lock: String? = nil) {
        self.path = path
        self.disk = disk
        self.inode = inode
        self.generation = generation
        self.lock = lock
    }

    func write(_ bytes: [UInt8], at offset: Int) throws(StorageError) {
        try checkOpen("write to")
        try disk.write(self, bytes, at: offset)
    }

    func sync() throws(StorageError) -> Duration {
        try checkOpen("fsync")
        try disk.sync(self)
        return .zero
    }

    func truncate(to size: Int) throws(StorageError) {
        try checkOpen("truncate")
        try disk.truncate(self, to: size)
    }

    func size() throws(StorageError) -> Int {
        try checkOpen("stat")
        return try disk.size(self)
    }

    mutating func close() {
        guard isOpen else { return }
        isOpen = false
        disk.close(self)
    }

    private func checkOpen(_ operation: String) throws(StorageError) {
        guard isOpen else { throw .io(operation: operation, file: path, errno: EBADF) }
    }
}
