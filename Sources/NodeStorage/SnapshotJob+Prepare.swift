import NodeCore
import RaftCore

extension SnapshotJob {
    /// What the host does off the Raft loop with a snapshot the core asked for: encodes the
    /// frozen queue and writes the snapshot's file (`NodeStorage.prepare`). A file that cannot
    /// be written here is left to the loop, which writes it and reports a failure. The node
    /// runtime and the simulator both run this, then hand the result to
    /// `NodeCore.snapshotEncoded` and `NodeStorage.discard` on the loop.
    public func encodeAndPrepare(on storage: NodeStorage) -> (data: [UInt8], prepared: PreparedSnapshot?) {
        let data = encode()
        return (data, try? storage.prepare(Snapshot(metadata: metadata, data: data)))
    }
}
