import BinaryCoding
import Glibc
import Synchronization

/// A deterministic disk in memory, for simulation: `NodeStorage` runs on it exactly as on the
/// real disk, and `crash()` is a power cut. What was fsynced survives; of what was not, the
/// seeded generator picks what survives, as a real disk may keep it: a prefix of each file's
/// unsynced writes, the last one perhaps torn, and a prefix of each directory's unsynced
/// creates, renames and removes. Reads no clock and no system randomness; listings are sorted.
///
/// A process that dies without a power cut is `NodeStorage.close()`: its unsynced writes stay,
/// as they would in the page cache, until a `crash()`. Directories are durable once made.
/// Paths are taken as they are (no `..` or `//` resolution).
///
/// Shared by reference: a simulator keeps it across restarts of the storage on top of it.
public final class MemoryDisk: StorageDisk {
    private struct State {
        var volume = MemoryVolume()
        var rng: SplitMix64
        /// Bumped by every crash: files opened before it belong to a dead process.
        var generation: UInt64 = 0
        /// Paths locked with `lock`, released by closing the file or by a crash.
        var locked: Set<String> = []
        /// Operations left before a scheduled power cut.
        var operationsBeforeCut: Int?
        /// True from a scheduled power cut until `crash()` brings the power back.
        var isOff = false

        mutating func cutPower() {
            volume.crash(using: &rng)
            locked = []
            generation += 1
            operationsBeforeCut = nil
        }
    }

    /// The disk's budget of bytes and its fsync failures; shared, so they can change while
    /// storage is open (`faults.spaceLeft = 0` fills the disk, `nil` lifts the limit).
    public let faults: DiskFaults
    private let state: Mutex<State>

    public var injectedFaults: DiskFaults? { faults }

    /// An empty disk whose crashes draw from a generator seeded with `seed`: the same seed and
    /// the same calls give the same disk.
    public init(seed: UInt64, faults: DiskFaults = DiskFaults()) {
        self.faults = faults
        state = Mutex(State(rng: SplitMix64(seed: seed)))
    }

    /// A power cut, then power back: drops what was not made durable (see the type's
    /// description), closes every file and releases every lock. Files opened before it fail
    /// with EBADF from then on. After a cut scheduled with `crash(afterOperations:)` has
    /// happened, it only brings the power back.
    public func crash() {
        state.withLock { s in
            if !s.isOff { s.cutPower() }
            s.isOff = false
        }
    }

    /// Schedules a power cut in the middle of what comes next, such as one `save`: the next
    /// `operations` disk calls (reads, writes, fsyncs, directory changes) run, and the one
    /// after them finds the power gone. The disk then crashes as `crash()` does, and every
    /// call fails with EIO (nothing more reaches it) until `crash()` brings the power back.
    public func crash(afterOperations operations: Int) {
        precondition(operations >= 0, "a count of operations")
        state.withLock { $0.operationsBeforeCut = operations }
    }

    // MARK: - StorageDisk

    public func makeDirectory(_ path: String) throws(StorageError) {
        try access("create directory", path) { (s) throws(MemoryVolume.Failure) in try s.volume.makeDirectory(path) }
    }

    public func list(_ directory: String) throws(StorageError) -> [String] {
        try access("list", directory) { (s) throws(MemoryVolume.Failure) in try s.volume.list(directory) }
    }

    public func read(_ path: String, limit: Int) throws(StorageError) -> (size: Int, bytes: [UInt8]?) {
        let bytes = try access("open", path) { (s) throws(MemoryVolume.Failure) in try s.volume.read(path) }
        return (bytes.count, bytes.count <= limit ? bytes : nil)
    }

    public func openFile(_ path: String) throws(StorageError) -> any DiskFile {
        try access("open", path) { (s) throws(MemoryVolume.Failure) in
            MemoryDiskFile(path: path, disk: self, inode: try s.volume.open(path, creating: false), generation: s.generation)
        }
    }

    public func createFile(_ path: String) throws(StorageError) -> any DiskFile {
        try access("open", path) { (s) throws(MemoryVolume.Failure) in
            let id = try s.volume.open(path, creating: true)
            s.volume.truncate(id, to: 0)
            return MemoryDiskFile(path: path, disk: self, inode: id, generation: s.generation)
        }
    }

    public func lock(_ path: String) throws(StorageError) -> any DiskFile {
        try access("lock", path) { (s) throws(MemoryVolume.Failure) in
            guard !s.locked.contains(path) else { throw MemoryVolume.Failure(errno: EWOULDBLOCK) }
            let id = try s.volume.open(path, creating: true)
            s.locked.insert(path)
            return MemoryDiskFile(path: path, disk: self, inode: id, generation: s.generation, lock: path)
        }
    }

    public func rename(_ from: String, to: String) throws(StorageError) {
        try access("rename", "\(from) to \(to)") { (s) throws(MemoryVolume.Failure) in try s.volume.rename(from, to: to) }
    }

    public func remove(_ path: String) throws(StorageError) {
        try access("remove", path) { (s) throws(MemoryVolume.Failure) in try s.volume.remove(path) }
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        try access("fsync", path) { (s) throws(MemoryVolume.Failure) in
            if let e = faults.failFsync { throw MemoryVolume.Failure(errno: e) }
            try s.volume.syncDirectory(path)
        }
    }

    // MARK: - Files

    func write(_ file: MemoryDiskFile, _ bytes: [UInt8], at offset: Int) throws(StorageError) {
        try access("write to", file.path) { (s) throws(MemoryVolume.Failure) in
            try check(file, in: s)
            let granted = faults.reserve(bytes.count)
            s.volume.write(file.inode, bytes[..<granted], at: offset)
            if granted < bytes.count { throw MemoryVolume.Failure(errno: ENOSPC) }
        }
    }

    func sync(_ file: MemoryDiskFile) throws(StorageError) {
        try access("fsync", file.path) { (s) throws(MemoryVolume.Failure) in
            try check(file, in: s)
            if let e = faults.failFsync { throw MemoryVolume.Failure(errno: e) }
            s.volume.sync(file.inode)
        }
    }

    func truncate(_ file: MemoryDiskFile, to size: Int) throws(StorageError) {
        try access("truncate", file.path) { (s) throws(MemoryVolume.Failure) in
            try check(file, in: s)
            s.volume.truncate(file.inode, to: size)
        }
    }

    func size(_ file: MemoryDiskFile) throws(StorageError) -> Int {
        try access("stat", file.path) { (s) throws(MemoryVolume.Failure) in
            try check(file, in: s)
            return s.volume.size(file.inode)
        }
    }

    /// Closes `file`; one from before a crash is already closed.
    func close(_ file: MemoryDiskFile) {
        state.withLock { s in
            guard s.generation == file.generation else { return }
            if let lock = file.lock { s.locked.remove(lock) }
            s.volume.close(file.inode)
        }
    }

    private func check(_ file: MemoryDiskFile, in s: State) throws(MemoryVolume.Failure) {
        guard s.generation == file.generation else { throw MemoryVolume.Failure(errno: EBADF) }
    }

    /// Runs `body` under the lock, turning its failure into `.io(operation:file:errno:)`.
    private func access<T: Sendable>(
        _ operation: String, _ file: String, _ body: (inout State) throws(MemoryVolume.Failure) -> T
    ) throws(StorageError) -> T {
        do {
            return try state.withLock { (s) throws(MemoryVolume.Failure) -> T in
                if let left = s.operationsBeforeCut {
                    if left == 0 {
                        s.cutPower()
                        s.isOff = true
                    } else {
                        s.operationsBeforeCut = left - 1
                    }
                }
                if s.isOff { throw MemoryVolume.Failure(errno: EIO) }
                return try body(&s)
            }
        } catch {
            throw .io(operation: operation, file: file, errno: error.errno)
        }
    }
}
