import Glibc
import Synchronization
@testable import NodeStorage

/// The real disk, except that while `starved` no new file can be opened: `open` fails with
/// EMFILE, as when the process has used every descriptor its limit allows.
final class DescriptorStarvedDisk: StorageDisk, Sendable {
    private let disk = PosixDisk()
    private let state = Mutex(false)

    var starved: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    private func check(_ path: String) throws(StorageError) {
        if starved { throw .io(operation: "open", file: path, errno: EMFILE) }
    }

    func makeDirectory(_ path: String) throws(StorageError) { try disk.makeDirectory(path) }
    func list(_ directory: String) throws(StorageError) -> [String] { try disk.list(directory) }
    func read(_ path: String, limit: Int) throws(StorageError) -> (size: Int, bytes: [UInt8]?) {
        try check(path)
        return try disk.read(path, limit: limit)
    }
    func openFile(_ path: String) throws(StorageError) -> any DiskFile {
        try check(path)
        return try disk.openFile(path)
    }
    func createFile(_ path: String) throws(StorageError) -> any DiskFile {
        try check(path)
        return try disk.createFile(path)
    }
    func lock(_ path: String) throws(StorageError) -> any DiskFile { try disk.lock(path) }
    func rename(_ from: String, to: String) throws(StorageError) { try disk.rename(from, to: to) }
    func remove(_ path: String) throws(StorageError) { try disk.remove(path) }
    func syncDirectory(_ path: String) throws(StorageError) {
        try check(path)
        try disk.syncDirectory(path)
    }
}
