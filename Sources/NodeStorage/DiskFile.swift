/// A file open for writing on a `StorageDisk`. Owned by one writer at a time (`NodeStorage`
/// serializes its calls). It is a handle, like a descriptor: copies refer to the same open
/// file, so only one of them may close it.
public protocol DiskFile: Sendable {
    /// Writes all of `bytes` at `offset`, or throws after writing some prefix of them (as
    /// `pwrite` on a full disk does).
    func write(_ bytes: [UInt8], at offset: Int) throws(StorageError)

    /// Makes everything written to the file durable (fsync). Returns how long that took by the
    /// disk's own clock, for statistics only; a disk without a clock returns zero.
    @discardableResult
    func sync() throws(StorageError) -> Duration

    /// Cuts the file to `size` bytes, or extends it with zeros.
    func truncate(to size: Int) throws(StorageError)

    /// The file's current size in bytes.
    func size() throws(StorageError) -> Int

    /// Closes the file (releasing a lock taken with `StorageDisk.lock`); closing the same value
    /// again does nothing.
    mutating func close()
}
