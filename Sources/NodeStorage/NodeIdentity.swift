import NodeCore

/// Which incarnation of its node a data directory holds: a random number drawn the first time
/// the directory is opened, kept in `identity` beside `wal/` and `snap/` for as long as they
/// live. A wiped directory draws a new one, which is how the node's peers tell it from the
/// member they knew (see `Incarnation` in NodeCore). Delete the whole data directory or none of it.
public enum NodeIdentity {
    static let fileName = "identity"
    static let prefix = "flotilla-identity v1 incarnation="

    /// The incarnation stored in `directory`, or `fresh` after storing it there (written to a
    /// temp file, fsynced, renamed, the directory fsynced) when the directory has none yet.
    /// Call it with the directory open (`NodeStorage.open` holds its lock). `fresh` must not be 0.
    public static func loadOrCreate(directory: String, disk: any StorageDisk, fresh: UInt64, fsync: Bool = true)
        throws(StorageError) -> UInt64
    {
        precondition(fresh != 0, "incarnation 0 means unknown")
        let path = directory + "/" + fileName
        if try disk.list(directory).contains(fileName) {
            let (size, bytes) = try disk.read(path, limit: 256)
            guard let bytes else { throw .corrupt(file: path, offset: 0, reason: "the identity file is \(size) bytes, far more than one") }
            let text = String(decoding: bytes, as: UTF8.self)
            guard text.hasPrefix(prefix), text.hasSuffix("\n"),
                  let inc = Incarnation.parse(text.dropFirst(prefix.count).dropLast()), inc != 0 else {
                throw .corrupt(file: path, offset: 0, reason: "the identity file does not read \"\(prefix)<16 hex digits>\"; "
                    + "if the data beside it is intact, write the incarnation the cluster knows this node by "
                    + "(GET /v1/status on a peer lists each member's), otherwise `flotilla replace` the node")
            }
            return inc
        }
        let temp = path + ".tmp"
        var file = try disk.createFile(temp)
        do throws(StorageError) {
            try file.write(Array((prefix + Incarnation.text(fresh) + "\n").utf8), at: 0)
            if fsync { try file.sync() }
            file.close()
            try disk.rename(temp, to: path)
            if fsync { try disk.syncDirectory(directory) }
        } catch {
            file.close()
            try? disk.removeIfPresent(temp)
            throw error
        }
        return fresh
    }

}
