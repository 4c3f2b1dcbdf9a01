/// A whole snapshot a follower handed its host to store, and who sent it in which term: the
/// acknowledgement goes to that leader once the snapshot is installed, if it still leads.
struct AwaitedInstall: Sendable, Equatable {
    var metadata: SnapshotMetadata
    var leader: NodeID
    var term: UInt64
}
