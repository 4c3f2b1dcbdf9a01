import Glibc

/// Every file-system operation `NodeStorage` performs, so the same storage code runs on the
/// real disk (`PosixDisk`) and on a deterministic one a simulator can crash (`MemoryDisk`).
///
/// Paths are plain strings built by the storage (`directory + "/" + name`). Failures are
/// `StorageError.io` naming the operation ("open", "write to", "fsync", …), the file and the
/// errno, so error messages read the same on every disk.
public protocol StorageDisk: Sendable {
    /// Creates a directory; one that already exists is not an error.
    func makeDirectory(_ path: String) throws(StorageError)

    /// The names in a directory (no "." or ".."), sorted, so every listing is reproducible.
    func list(_ directory: String) throws(StorageError) -> [String]

    /// Reads a whole file, or returns its size alone when that exceeds `limit`.
    func read(_ path: String, limit: Int) throws(StorageError) -> (size: Int, bytes: [UInt8]?)

    /// Opens an existing file for writing.
    func openFile(_ path: String) throws(StorageError) -> any DiskFile

    /// Creates a file for writing, or empties it if it exists.
    func createFile(_ path: String) throws(StorageError) -> any DiskFile

    /// Opens (creating if needed) `path` and takes an exclusive lock on it, held until the
    /// returned file is closed. Held elsewhere: throws `.io(operation: "lock", …)` with EWOULDBLOCK.
    func lock(_ path: String) throws(StorageError) -> any DiskFile

    /// Renames a file, replacing any file at `to`.
    func rename(_ from: String, to: String) throws(StorageError)

    /// Removes a file's name (unlink).
    func remove(_ path: String) throws(StorageError)

    /// Makes a directory's entries (files created, renamed or removed in it) durable.
    func syncDirectory(_ path: String) throws(StorageError)

    /// The failures an operator or a test may inject into this disk, if it takes any.
    var injectedFaults: DiskFaults? { get }
}

extension StorageDisk {
    public var injectedFaults: DiskFaults? { nil }

    /// `remove`, where a file already gone counts as removed.
    func removeIfPresent(_ path: String) throws(StorageError) {
        do throws(StorageError) {
            try remove(path)
        } catch {
            if case .io(_, _, ENOENT) = error { return }
            throw error
        }
    }
}
