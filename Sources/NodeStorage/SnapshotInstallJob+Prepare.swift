import NodeCore
import RaftCore

extension SnapshotInstallJob {
    /// What the host does off the Raft loop with a snapshot from the leader: joins and decodes it
    /// and, when it decodes, writes, syncs and renames its file into place (`NodeStorage.prepare`),
    /// so installing it on the loop stores only the WAL's marker. A file that cannot be written
    /// here is left to the loop, which writes it (or holds the batch on a full disk). The node
    /// runtime and the simulator both run this, then hand the result to `NodeCore.snapshotDecoded`
    /// on the loop, and `NodeStorage.discard` the file when the core dropped it.
    public func decodeAndPrepare(on storage: NodeStorage) -> DecodedSnapshot {
        var decoded = decode()
        if case .success = decoded.queue { decoded.prepared = try? storage.prepare(decoded.snapshot) }
        return decoded
    }
}
